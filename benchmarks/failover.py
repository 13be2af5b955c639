"""Failover on ``local``: kill the replica that serves a pinned jar, time the first good answer.

``pytest_sticky.failover.kill_serving_pod`` measures ``recovered_after``; to say what bounds it,
the app is wrapped so that the time spent inside ``delete_pod`` is recorded, and the victim's
exit is watched through a pidfd (which does not reap it), giving three parts:

- ``delete call``: ``delete_pod`` itself (as on Kubernetes it returns once SIGTERM is sent; SIGKILL
  follows after the grace period);
- ``exit``: from the deletion to the process being gone (the app's own shutdown);
- ``first_answer``: from the process being gone to the first successful answer the client saw
  (answers of the dying process meanwhile do not count).
"""

from __future__ import annotations

import os
import select
import threading
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.local import local_app, pinned_jar
from benchmarks.stats import Summary
from pytest_sticky.failover import kill_serving_pod
from pytest_sticky.local.cluster import LocalApp
from pytest_sticky.processes import running


class ExitWatch:
    """The moment (time.monotonic) a process ends, seen through a pidfd without reaping it."""

    def __init__(self, pid: int) -> None:
        self.exited_at: float | None = None
        self._fd = os.pidfd_open(pid)
        self._thread = threading.Thread(target=self._watch, name=f"exit-watch-{pid}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            readable, _, _ = select.select([self._fd], [], [], 30.0)
            if readable:
                self.exited_at = time.monotonic()
        finally:
            os.close(self._fd)

    def join(self) -> float | None:
        self._thread.join(timeout=30.0)
        return self.exited_at


class TimedApp(LocalApp):
    """The local app (sharing its replicas and proxy), recording each ``delete_pod``.

    A subclass rather than a wrapper, so that it is a ``StickyApp`` whatever the protocol grows.
    """

    def __init__(self, app: LocalApp) -> None:  # shares the started app's state
        self.__dict__.update(app.__dict__)
        self.deletes: list[tuple[float, float, ExitWatch | None]] = []
        """(kill started, delete_pod returned, the victim's exit watch) per deletion, time.monotonic()."""

    def delete_pod(self, pod: str, grace_period: float) -> str:
        children = [c for c in running() if c.name == pod and c.alive()]
        watch = ExitWatch(children[0].pid) if len(children) == 1 else None
        start = time.monotonic()
        uid = super().delete_pod(pod, grace_period)
        self.deletes.append((start, time.monotonic(), watch))
        return uid


@dataclass
class FailoverResults:
    proxy: str
    recovered_s: list[float]
    replaced_s: list[float]
    delete_call_s: list[float]
    exit_s: list[float]
    first_answer_s: list[float]
    failed_requests: list[int]
    moved: list[str]

    def to_json(self) -> dict[str, Any]:
        def part(samples: list[float]) -> dict[str, Any]:
            return Summary.of(samples).to_json() if samples else {"n": 0}

        return {
            "proxy": self.proxy,
            "recovered_after_s": {**part(self.recovered_s), "samples": [round(s, 4) for s in self.recovered_s]},
            "replaced_after_s": part(self.replaced_s),
            "breakdown_s": {
                "delete call (delete_pod, SIGTERM sent)": part(self.delete_call_s),
                "exit (deletion to process gone)": part(self.exit_s),
                "first_answer (process gone to first good answer)": part(self.first_answer_s),
            },
            "failed_requests_per_failover": Summary.of([float(n) for n in self.failed_requests]).to_json(1),
            "moves": self.moved,
        }


def measure(*, proxy: str, repetitions: int) -> FailoverResults:
    results = FailoverResults(proxy, [], [], [], [], [], [], [])
    with local_app(proxy) as (cluster, app):
        results.proxy = cluster.proxy_kind
        timed = TimedApp(app)
        jar, _, _ = pinned_jar(app)
        for _ in range(repetitions):
            killed = kill_serving_pod(jar, app=timed)
            start, returned, watch = timed.deletes[-1]
            exited = watch.join() if watch is not None else None
            results.recovered_s.append(killed.recovered_after)
            results.replaced_s.append(killed.replaced_after)
            results.delete_call_s.append(returned - start)
            if exited is not None:
                results.exit_s.append(exited - start)
                results.first_answer_s.append(max(start + killed.recovered_after - exited, 0.0))
            results.failed_requests.append(sum(1 for r in killed.records[1:] if not r.ok))
            results.moved.append(f"{killed.name}->{killed.answered_by}")
    return results
