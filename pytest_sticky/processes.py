"""Child processes the plugin starts (app replicas, proxies, Redis), and how they end.

Three layers make sure no child outlives the run:
1. the fixtures stop what they started, by PID, at teardown (also after Ctrl-C);
2. an ``atexit`` hook stops whatever is still registered when the interpreter exits;
3. on Linux each child gets ``PR_SET_PDEATHSIG(SIGKILL)``: if pytest itself is killed, the
   kernel kills the child. The signal follows the *thread* that forked the child, not the
   process: a replica started from a short-lived thread (a load run's action, a scale-up) was
   killed when that thread ended. So every child is forked by one spawner thread that lives as
   long as the interpreter, whichever thread asks for it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pytest_sticky.commands import tail

_PR_SET_PDEATHSIG = 1
_registry: dict[int, ChildProcess] = {}
_registry_lock = threading.Lock()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform == "linux":
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Spawner:
    """One long-lived daemon thread that forks every child (see point 3 above)."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Callable[[], subprocess.Popen[bytes]], queue.SimpleQueue[object]]]
        self._requests = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def spawn(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="sticky-spawner", daemon=True)
                self._thread.start()
        answer: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._requests.put((start, answer))
        result = answer.get()
        if isinstance(result, BaseException):
            raise result
        assert isinstance(result, subprocess.Popen)
        return result

    def _serve(self) -> None:
        while True:
            start, answer = self._requests.get()
            try:
                answer.put(start())
            except BaseException as exc:  # noqa: BLE001 (raised again in the asking thread)
                answer.put(exc)


_spawner = _Spawner()


class ChildProcess:
    """A started program, its log file, and a way to stop it by PID."""

    def __init__(
        self, name: str, args: Sequence[str], env: Mapping[str, str], log_path: Path, pass_fds: Sequence[int] = ()
    ) -> None:
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.popen = _spawner.spawn(
                lambda: subprocess.Popen(
                    self.args,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **env},
                    pass_fds=tuple(pass_fds),
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads touch locks in between)
                )
            )
        self.pid = self.popen.pid
        with _registry_lock:
            _registry[self.pid] = self

    def __repr__(self) -> str:
        return f"<{self.name} pid={self.pid} {'running' if self.alive() else 'exited'}>"

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return tail(self.log_path.read_text(errors="replace"), lines)
        except OSError:
            return ""

    def describe_exit(self) -> str:
        code = self.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
        return f"{self.name} (pid {self.pid}, `{' '.join(self.args)}`) {how}; last output:\n{self.log_tail()}"

    def signal(self, signum: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def wait_exit(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the process to end; True if it did.

        On Linux a pidfd wakes us the moment it exits (``Popen.wait`` polls at growing
        intervals, which added ~45 ms to a local failover).
        """
        if self.popen.poll() is not None:
            return True
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll(timeout * 1000)
        finally:
            os.close(pidfd)
        return self.popen.poll() is not None

    def stop(self, grace_period: float = 2.0) -> None:
        """SIGTERM, wait ``grace_period``, then SIGKILL; always reaps the child."""
        if self.alive():
            if grace_period > 0:
                self.signal(signal.SIGTERM)
                self.wait_exit(grace_period)
            self.signal(signal.SIGKILL)
        self.popen.wait()
        with _registry_lock:
            _registry.pop(self.pid, None)


def descendants(pid: int) -> list[int]:
    """PIDs of the children (and their children) of ``pid``, from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:  # it ended while we looked (its /proc entry went between two reads)
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def running() -> list[ChildProcess]:
    with _registry_lock:
        return list(_registry.values())


def stop_all() -> None:
    for child in running():
        child.stop(grace_period=0)


atexit.register(stop_all)
