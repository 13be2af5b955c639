"""Progress of long waits: one live line in a terminal, one line per phase in CI logs.

A phase is three log records of :data:`LOGGER` (start, then done or failed); the plugin attaches
a :class:`TerminalProgress` handler to it at configure time and detaches it at unconfigure. The
logging module keeps that registration, so this module holds no state of its own. Without the
plugin (helpers used outside pytest) phases go wherever the application's logging sends INFO
records of ``pytest_sticky.progress``: nowhere, unless it is configured to.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOGGER = logging.getLogger("pytest_sticky.progress")
PHASE = "sticky_phase"
"""The attribute of a phase's log record: (event, what, elapsed seconds); event is ``start``,
``done`` or ``failed``."""


def attach(handler: logging.Handler) -> None:
    """Send phases to ``handler`` (and not on to pytest's captured logs: the progress line shows them)."""
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False


def detach(handler: logging.Handler) -> None:
    LOGGER.removeHandler(handler)
    if not LOGGER.handlers:
        LOGGER.setLevel(logging.NOTSET)
        LOGGER.propagate = True


def _record(event: str, what: str, elapsed: float) -> None:
    LOGGER.info("%s: %s (%.1f s)", what, event, elapsed, extra={PHASE: (event, what, elapsed)})


@contextmanager
def phase(what: str) -> Iterator[None]:
    """Mark a phase."""
    start = time.monotonic()
    _record("start", what, 0.0)
    try:
        yield
    except BaseException:
        _record("failed", what, time.monotonic() - start)
        raise
    _record("done", what, time.monotonic() - start)


class TerminalProgress(logging.Handler):
    """The phases on pytest's terminal.

    A phase still running after ``after`` seconds gets a line; in a terminal that line is
    rewritten in place every ``tick`` seconds with the time waited, elsewhere (CI logs) it is
    printed once when the phase starts to be slow and once when it ends.
    """

    def __init__(self, terminal: Any, *, live: bool, after: float = 1.0, tick: float = 0.5) -> None:
        super().__init__(logging.INFO)
        self.terminal = terminal
        self.live = live
        self.after = after
        self.tick = tick
        self._running: list[tuple[str, float]] = []
        self._shown: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        event: tuple[str, str, float] | None = getattr(record, PHASE, None)
        if event is not None:
            self.report(*event)

    def report(self, event: str, what: str, elapsed: float) -> None:
        with self._lock:
            if event == "start":
                self._running.append((what, time.monotonic()))
                if self._thread is None:
                    self._thread = threading.Thread(target=self._ticker, name="sticky-progress", daemon=True)
                    self._thread.start()
                return
            self._running = [(w, t) for (w, t) in self._running if w != what]
            if what in self._shown:
                self._shown.discard(what)
                text = f"sticky: {what}: {'done' if event == 'done' else 'FAILED'} after {elapsed:.1f} s"
                if self.live:
                    self.terminal.rewrite(text)
                    self.terminal.write("\n")
                else:
                    self.terminal.write_line(text)

    def _ticker(self) -> None:
        while not self._wake.wait(self.tick):
            with self._lock:
                if not self._running:
                    continue
                what, started = self._running[-1]
                waited = time.monotonic() - started
                if waited < self.after:
                    continue
                text = f"sticky: waiting for {what} ({waited:.0f} s)"
                if what not in self._shown:
                    self._shown.add(what)
                    self.terminal.write_line(text)
                elif self.live:
                    self.terminal.rewrite(text)

    def close(self) -> None:
        self._wake.set()
        super().close()
