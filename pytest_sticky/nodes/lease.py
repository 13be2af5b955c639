"""Who created a kind cluster and who uses it, so that xdist workers share one and only its creator deletes it.

Two files in the user's cache, keyed by the cluster's name: ``<name>.lock`` (a ``filelock``
held while the cluster is looked up, created, given its ingress controller, or deleted) and
``<name>.json``: the run that created the cluster and the processes using it.

A *run* is one pytest invocation: every xdist worker of it shares ``PYTEST_XDIST_TESTRUNUID``;
without xdist the run is this process. The cluster is deleted by the last process of the run
that created it, and only when no other process (of any run) still uses it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pytest_sticky import progress
from pytest_sticky.errors import SetupError
from pytest_sticky.nodes.cache import cache_dir

XDIST_RUN_ENV = "PYTEST_XDIST_TESTRUNUID"
_PROCESS_RUN = uuid.uuid4().hex


def run_id() -> str:
    return os.environ.get(XDIST_RUN_ENV) or _PROCESS_RUN


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Lease:
    cluster: str
    timeout: float
    run: str = field(default_factory=run_id)
    pid: int = field(default_factory=os.getpid)

    def __post_init__(self) -> None:
        from filelock import FileLock

        directory = cache_dir("kind")
        self.state_path = directory / f"{self.cluster}.json"
        self.lock_path = directory / f"{self.cluster}.lock"
        self._lock = FileLock(str(self.lock_path), timeout=self.timeout)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cluster's lock (reentrant in this process); waiting for it is a reported phase."""
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            try:
                with progress.phase(f"the lock on kind cluster {self.cluster} (another run or worker holds it)"):
                    self._lock.acquire()
            except Timeout:
                raise SetupError(
                    f"waited {self.timeout:g} s for {self.lock_path}, held by another pytest run or worker that "
                    f"creates or deletes kind cluster {self.cluster}; if no such run is left, delete the file"
                ) from None
        try:
            yield
        finally:
            self._lock.release()

    # -- the state file (call these with the lock held) ---------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {"creator": None, "users": []}
        users = [u for u in state.get("users", []) if isinstance(u, dict) and pid_alive(int(u.get("pid", 0)))]
        return {"creator": state.get("creator"), "users": users}

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_path)

    def register(self, *, created: bool) -> bool:
        """Record this process as a user; return whether this run created the cluster."""
        state: dict[str, Any] = self._read() if not created else {"creator": self.run, "users": []}
        users: list[dict[str, Any]] = [u for u in state["users"] if u.get("pid") != self.pid]
        state["users"] = [*users, {"run": self.run, "pid": self.pid}]
        self._write(state)
        return bool(state["creator"] == self.run)

    def forget(self) -> None:
        """The cluster is gone: nobody created it, nobody uses it."""
        self.state_path.unlink(missing_ok=True)

    def status(self) -> Release:
        """Whether this run created the cluster, and who else uses it (nothing changes)."""
        state = self._read()
        others = [u for u in state["users"] if u.get("pid") != self.pid]
        return Release(
            ours=state["creator"] == self.run,
            same_run=[int(u["pid"]) for u in others if u.get("run") == self.run],
            other_runs=[int(u["pid"]) for u in others if u.get("run") != self.run],
        )

    def release(self) -> Release:
        """Drop this process from the users; return :meth:`status` as it is then."""
        state = self._read()
        state["users"] = [u for u in state["users"] if u.get("pid") != self.pid]
        self._write(state)
        return self.status()


@dataclass(frozen=True)
class Release:
    ours: bool
    """This run created the cluster."""
    same_run: list[int]
    """PIDs of the other live processes of this run (xdist workers) that still use it."""
    other_runs: list[int]
    """PIDs of live processes of other runs that use it."""

    @property
    def last_of_creators(self) -> bool:
        """This run created it and no live process uses it any more."""
        return self.ours and not self.same_run and not self.other_runs
