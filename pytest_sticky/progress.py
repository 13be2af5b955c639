"""Progress of long waits: one live line in a terminal, one line per phase in CI logs.

The plugin installs a reporter at configure time; without one (helpers used outside pytest)
phases are silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Reporter = Callable[[str, str, float], None]
"""Called with (event, what, elapsed_seconds); event is ``start``, ``done`` or ``failed``."""

_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


@contextmanager
def phase(what: str) -> Iterator[None]:
    """Mark a phase."""
    start = time.monotonic()
    reporter = _reporter
    if reporter is not None:
        reporter("start", what, 0.0)
    try:
        yield
    except BaseException:
        if reporter is not None:
            reporter("failed", what, time.monotonic() - start)
        raise
    if reporter is not None:
        elapsed = time.monotonic() - start
        reporter("done", what, elapsed)
