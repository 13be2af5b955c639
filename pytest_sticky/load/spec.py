"""The parameters of a load run, bounded and validated before anything is sent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_sticky.errors import StickyError

MAX_BROWSERS = 500
MAX_RATE = 20_000.0
"""Requests per second, all browsers together (a Python client on 2 cores reaches a few thousand)."""
MAX_DURATION_S = 600.0
MIN_DURATION_S = 0.1
MAX_SETTLE_S = 60.0
MAX_PROCESSES = 16
ONE_LOOP_RATE = 1000.0
"""Up to this many requests/s (all browsers) the browsers share one event loop; above it, or
with ``rate=None``, they are split over processes (one event loop here answers about 2,500/s
with 50 browsers, two about 3,700/s: the loop's turn-around, not its CPU, bounds one)."""


class LoadInputError(StickyError, ValueError):
    """A load parameter is out of its bounds; the message names it, its value and the bounds."""


@dataclass(frozen=True)
class LoadSpec:
    browsers: int = 20
    """Concurrent browsers, each with its own cookie jar, connection and app session."""
    rate: float | None = 200.0
    """Total requests per second over all browsers (None: as fast as the app answers)."""
    duration: float = 10.0
    """Upper bound of the whole run in seconds. Without an action the load runs this long."""
    settle: float = 0.5
    """Seconds the load goes on after the action has finished."""
    path: str = "/session"
    timeout: float = 5.0
    """Per-request timeout in seconds."""
    processes: int | None = None
    """Event loops (this process and workers) the browsers are split over, like wrk's threads.
    None: one up to ``ONE_LOOP_RATE`` requests/s, else one per core (at most 4)."""

    def __post_init__(self) -> None:
        validate(self)

    @property
    def interval(self) -> float:
        """Seconds between two requests of one browser (0: no pacing)."""
        return 0.0 if self.rate is None else self.browsers / self.rate

    def loops(self, cores: int | None) -> int:
        """How many event loops run the browsers (``processes``, or its default on ``cores`` cores)."""
        if self.processes is not None:
            return self.processes
        if self.rate is not None and self.rate <= ONE_LOOP_RATE:
            return 1
        return max(1, min(cores or 1, 4, self.browsers))


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LoadInputError(f"sticky_load: {name} must be a finite number, not {value!r}")
    return float(value)


def validate(spec: LoadSpec) -> None:
    if isinstance(spec.browsers, bool) or not isinstance(spec.browsers, int):
        raise LoadInputError(f"sticky_load: browsers must be an integer, not {spec.browsers!r}")
    if not 1 <= spec.browsers <= MAX_BROWSERS:
        raise LoadInputError(f"sticky_load: browsers={spec.browsers} is out of bounds (1 to {MAX_BROWSERS})")
    if spec.rate is not None:
        rate = _number("rate", spec.rate)
        if not 0 < rate <= MAX_RATE:
            raise LoadInputError(
                f"sticky_load: rate={spec.rate:g} requests/s is out of bounds (above 0, at most {MAX_RATE:g}; "
                "None sends as fast as the app answers)"
            )
        if rate < spec.browsers / MAX_DURATION_S:
            raise LoadInputError(
                f"sticky_load: rate={rate:g} requests/s for {spec.browsers} browsers leaves each browser "
                f"more than {MAX_DURATION_S:g} s between requests"
            )
    duration = _number("duration", spec.duration)
    if not MIN_DURATION_S <= duration <= MAX_DURATION_S:
        raise LoadInputError(
            f"sticky_load: duration={duration:g} s is out of bounds ({MIN_DURATION_S:g} to {MAX_DURATION_S:g} s)"
        )
    settle = _number("settle", spec.settle)
    if not 0 <= settle <= min(MAX_SETTLE_S, duration):
        raise LoadInputError(
            f"sticky_load: settle={settle:g} s is out of bounds (0 to {min(MAX_SETTLE_S, duration):g} s, "
            "and no longer than duration)"
        )
    timeout = _number("timeout", spec.timeout)
    if not 0 < timeout <= 60:
        raise LoadInputError(f"sticky_load: timeout={timeout:g} s is out of bounds (above 0, at most 60 s)")
    if spec.processes is not None:
        if isinstance(spec.processes, bool) or not isinstance(spec.processes, int):
            raise LoadInputError(f"sticky_load: processes must be an integer or None, not {spec.processes!r}")
        if not 1 <= spec.processes <= min(MAX_PROCESSES, spec.browsers):
            raise LoadInputError(
                f"sticky_load: processes={spec.processes} is out of bounds (1 to {min(MAX_PROCESSES, spec.browsers)}: "
                f"at most {MAX_PROCESSES}, and no more than browsers)"
            )
    if not isinstance(spec.path, str) or not spec.path.startswith("/"):
        raise LoadInputError(f"sticky_load: path must start with '/', not {spec.path!r}")
