"""Waiting with a deadline, saying what is awaited and, on timeout, what was seen.

Where an event source exists (a Kubernetes watch, a process exit) the callers use it; this
module covers the conditions that can only be asked (is the port answering?), and gives
every wait the same failure shape: what was awaited, for how long, and the last state seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from pytest_sticky import progress
from pytest_sticky.errors import StickyError

T = TypeVar("T")


class WaitTimeout(StickyError):
    """A wait ran out of time. ``state`` is what the waiter saw last."""

    def __init__(self, what: str, waited: float, state: str) -> None:
        self.what, self.waited, self.state = what, waited, state
        super().__init__(f"timed out after {waited:.1f} s waiting for {what}" + (f"\n{state}" if state else ""))


class WaitAborted(StickyError):
    """A wait gave up early because what it waited for cannot happen any more."""


def wait_until(
    condition: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    state: Callable[[], str] | None = None,
    interval: float = 0.01,
    max_interval: float = 0.25,
) -> T:
    """Call ``condition`` until it returns something other than ``None``/``False``.

    ``condition`` may raise :class:`WaitAborted` to fail at once (the process it waits on
    died, say). The interval grows from ``interval`` to ``max_interval``.
    """
    start = time.monotonic()
    deadline = start + timeout
    delay = interval
    with progress.phase(what):
        while True:
            result = condition()
            if result is not None and result is not False:
                return result
            now = time.monotonic()
            if now >= deadline:
                seen = state() if state is not None else ""
                raise WaitTimeout(what, now - start, seen)
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 1.5, max_interval)
