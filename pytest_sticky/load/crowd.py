"""All the browsers of a load run, split over event loops: one group in this process, the others
in worker processes (``load.worker``), as wrk splits its connections over threads. One Python
event loop answers about 2,500 requests/s with 50 browsers on these 2-core machines whatever its
CPU share; two answer about 3,700/s (the measurements are in benchmarks/RESULTS.md).

A worker is a child process like the replicas (``processes.ChildProcess``: stopped by PID, and
killed with its parent); it gets its browsers, the start time and the stop over a socket pair."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest_sticky
from pytest_sticky.errors import StickyError
from pytest_sticky.load import wire
from pytest_sticky.load.browsers import Browsers
from pytest_sticky.load.result import Hit
from pytest_sticky.load.spec import LoadSpec
from pytest_sticky.processes import ChildProcess

WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-m", "pytest_sticky.load.worker")
"""The worker's command; the socket's descriptor number is its last argument."""
READY_TIMEOUT_S = 30.0
"""A worker starts Python and imports aiohttp: a second here, far more on a loaded machine."""


def split(browsers: int, loops: int) -> list[range]:
    """Browser ids 0..browsers-1 in ``loops`` contiguous groups whose sizes differ by at most one."""
    bounds = [browsers * i // loops for i in range(loops + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(loops)]


class LoadWorkerError(StickyError):
    """A load worker process failed; the message has its exit and its last output."""


class Worker:
    """The parent's end of one worker process and its browsers ``ids``."""

    def __init__(self, job: bytes, ids: range) -> None:
        self.job = job
        self.ids = ids
        self.answered: set[int] = set()
        self.all_answered = asyncio.Event()
        self.hits: list[Hit] = []
        self.ended = 0.0
        self.child: ChildProcess | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None

    @property
    def name(self) -> str:
        return f"load worker for browsers {self.ids.start}-{self.ids.stop - 1}"

    async def start(self, workdir: Path) -> None:
        ours, theirs = socket.socketpair()
        try:
            package_parent = str(Path(pytest_sticky.__file__).resolve().parent.parent)
            path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
            self.child = ChildProcess(
                self.name,
                [*WORKER_COMMAND, str(theirs.fileno())],
                {"PYTHONPATH": path},
                workdir / f"worker-{self.ids.start}.log",
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        self._reader, self._writer = await asyncio.open_connection(sock=ours, limit=wire.LINE_LIMIT)
        self._writer.write(self.job)
        try:
            ready = await asyncio.wait_for(self._receive(), READY_TIMEOUT_S)
        except TimeoutError:
            raise self._error(f"was not ready within {READY_TIMEOUT_S:g} s") from None
        if ready is None or not ready.get("ready"):
            raise self._error(f"answered {ready!r} instead of ready")

    async def run(self, t0: float) -> None:
        assert self._writer is not None
        self._writer.write(wire.line({"go": t0}))
        while (message := await self._receive()) is not None:
            if "answered" in message:
                self.answered.add(int(message["answered"]))
                if len(self.answered) == len(self.ids):
                    self.all_answered.set()
            elif "ended" in message:
                self.ended = float(message["ended"])
            elif "hits" in message:
                self.hits.extend(wire.hits_of(message))
            elif message.get("done"):
                return
        raise self._error("ended before it sent its requests")

    def stop(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(wire.line({"stop": True}))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self.child is not None:
            self.child.stop(grace_period=2.0)

    async def _receive(self) -> dict[str, Any] | None:
        assert self._reader is not None
        try:
            raw = await self._reader.readline()
        except ConnectionError:
            return None  # the worker is gone: its exit says why
        if not raw:
            return None
        message = json.loads(raw)
        return message if isinstance(message, dict) else None

    def _error(self, what: str) -> LoadWorkerError:
        child = self.child
        if child is None:
            return LoadWorkerError(f"sticky_load: the {self.name} {what}.")
        child.wait_exit(1.0)  # the socket may close a moment before the exit is seen
        exit_text = child.describe_exit() if not child.alive() else f"Its last output:\n{child.log_tail()}"
        return LoadWorkerError(f"sticky_load: the {self.name} {what}. {exit_text}".rstrip())


class Crowd:
    """``spec.browsers`` browsers over ``spec.loops()`` event loops, seen as one: the same
    ``start``/``run``/``all_answered``/``answered``/``stop``/``hits`` whatever the split."""

    def __init__(
        self, url: str, spec: LoadSpec, *, cookie_name: str | None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.spec = spec
        groups = split(spec.browsers, spec.loops(os.cpu_count()))
        headers = dict(headers or {})
        self.here = Browsers(url, spec, cookie_name=cookie_name, headers=headers, ids=groups[0])
        self._workdir: Path | None = None
        self.workers: list[Worker] = [Worker(wire.job(url, spec, cookie_name, headers, ids), ids) for ids in groups[1:]]

    async def start(self) -> None:
        """Start the worker processes and wait until each is ready to send (before the clock starts)."""
        if self.workers:
            self._workdir = Path(tempfile.mkdtemp(prefix="pytest-sticky-load-"))
            await asyncio.gather(*(worker.start(self._workdir) for worker in self.workers))

    async def run(self, t0: float) -> None:
        await asyncio.gather(self.here.run(t0), *(worker.run(t0) for worker in self.workers))

    async def all_answered(self) -> None:
        await asyncio.gather(self.here.all_answered(), *(worker.all_answered.wait() for worker in self.workers))

    def answered(self) -> int:
        return self.here.answered() + sum(len(worker.answered) for worker in self.workers)

    def stop(self) -> None:
        self.here.stop()
        for worker in self.workers:
            worker.stop()

    @property
    def ended(self) -> float:
        """When the last browser stopped: the load's end, before the workers send their records."""
        return max([self.here.ended, *(worker.ended for worker in self.workers)])

    @property
    def hits(self) -> list[Hit]:
        return [*self.here.hits, *(hit for worker in self.workers for hit in worker.hits)]

    def close(self) -> None:
        """Stop every worker process (by PID) and remove their logs."""
        for worker in self.workers:
            worker.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
