"""Progress of long waits: one live line in a terminal, one line per phase in CI logs.

The plugin installs a reporter at configure time; without one (helpers used outside pytest)
phases are silent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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


class TerminalProgress:
    """A :data:`Reporter` for pytest's terminal.

    A phase still running after ``after`` seconds gets a line; in a terminal that line is
    rewritten in place every ``tick`` seconds with the time waited, elsewhere (CI logs) it is
    printed once when the phase starts to be slow and once when it ends.
    """

    def __init__(self, terminal: Any, *, live: bool, after: float = 1.0, tick: float = 0.5) -> None:
        self.terminal = terminal
        self.live = live
        self.after = after
        self.tick = tick
        self._running: list[tuple[str, float]] = []
        self._shown: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, event: str, what: str, elapsed: float) -> None:
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
