"""Local replicas named like a StatefulSet's pods, and the supervisor that replaces them.

``hello-0 .. hello-N-1`` run as child processes, each on its own free loopback port. When a
replica dies (killed by a test, or crashed), the supervisor does what the StatefulSet
controller and the endpoints controller do on Kubernetes: it takes the dead address out of
the proxy, starts a replacement under the same name on a *new* port (a pod gets a new IP),
waits until it is healthy, and gives the proxy the new address.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import signal
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_sticky.errors import SetupError
from pytest_sticky.local.health import answers_as
from pytest_sticky.local.launch import launch
from pytest_sticky.ports import LOOPBACK
from pytest_sticky.processes import ChildProcess
from pytest_sticky.waiting import WaitTimeout


@dataclass(frozen=True)
class Endpoint:
    """A ready replica as the proxy sees it."""

    pod: str
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class LocalPod:
    name: str
    uid: str
    port: int
    child: ChildProcess
    ready: bool = True
    published: bool = False
    """The proxy has been given this replica's address."""
    started_at: float = field(default_factory=time.monotonic)


_uids = itertools.count(1)
_open_sets: weakref.WeakSet[LocalStatefulSet] = weakref.WeakSet()


@atexit.register
def _close_open_sets() -> None:
    """At interpreter exit, stop supervising before the children are stopped."""
    for replica_set in list(_open_sets):
        replica_set.close()


class LocalStatefulSet:
    def __init__(
        self,
        name: str,
        replicas: int,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        ready_timeout: float,
        on_change: Callable[[list[Endpoint]], None],
        grace_period: float = 1.0,
    ) -> None:
        self.name = name
        self.grace_period = grace_period
        """``terminationGracePeriodSeconds``: SIGTERM, then SIGKILL this long after (``--sticky-grace-period``)."""
        self.replicas = replicas
        self.command = list(command)
        self.env = dict(env)
        self.log_dir = log_dir
        self.ready_timeout = ready_timeout
        self._on_change = on_change
        self._pods: dict[str, LocalPod] = {}
        self._failures: dict[str, str] = {}
        self._cond = threading.Condition()
        self._change_lock = threading.Lock()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        _open_sets.add(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start every replica (in order, like OrderedReady), then supervise them."""
        for ordinal in range(self.replicas):
            pod_name = f"{self.name}-{ordinal}"
            self._pods[pod_name] = self._start_pod(pod_name)
        self._publish()
        with self._cond:
            for pod in self._pods.values():
                pod.published = True
        for pod_name in self._pods:
            self._start_supervisor(pod_name)

    def _start_supervisor(self, pod_name: str) -> None:
        thread = threading.Thread(target=self._supervise, args=(pod_name,), name=f"supervise-{pod_name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            pods = list(self._pods.values())
            self._cond.notify_all()
        # like a namespace deletion: every replica gets SIGTERM at once and the grace period
        for pod in pods:
            pod.child.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_period
        for pod in pods:
            pod.child.wait_exit(max(0.0, deadline - time.monotonic()))
            pod.child.stop(grace_period=0)
        for thread in self._threads:
            thread.join(timeout=self.ready_timeout + 5)
        _open_sets.discard(self)

    def _start_pod(self, pod_name: str) -> LocalPod:
        def command(port: int) -> list[str]:
            return [part.replace("{port}", str(port)).replace("{pod}", pod_name) for part in self.command]

        def env(port: int) -> dict[str, str]:
            return {**self.env, "POD_NAME": pod_name, "PORT": str(port), "BIND": LOOPBACK}

        child, port = launch(
            pod_name,
            command,
            env=env,
            healthy=functools.partial(answers_as, pod_name),
            log_dir=self.log_dir,
            timeout=self.ready_timeout,
        )
        return LocalPod(name=pod_name, uid=f"{pod_name}-{next(_uids)}-pid{child.pid}", port=port, child=child)

    def _supervise(self, pod_name: str) -> None:
        """Replace ``pod_name`` whenever its process ends, until the set is closed."""
        while True:
            with self._cond:
                pod = self._pods[pod_name]
            pod.child.popen.wait()
            with self._cond:
                if self._stopping or self._pods.get(pod_name) is not pod:
                    return  # closed, or removed by a scale-down
                pod.ready = False
                self._cond.notify_all()
            self._publish()
            try:
                replacement = self._start_pod(pod_name)
            except SetupError as exc:
                with self._cond:
                    self._failures[pod_name] = str(exc)
                    self._cond.notify_all()
                return
            with self._cond:
                if self._stopping:
                    replacement.child.stop(grace_period=0)
                    return
                self._pods[pod_name] = replacement
                self._failures.pop(pod_name, None)
            self._publish()
            with self._cond:
                replacement.published = True
                self._cond.notify_all()

    def _publish(self) -> None:
        """Give the proxy the current ready endpoints (one update at a time, in order)."""
        with self._change_lock:
            self._on_change(self.endpoints())

    # -- queries -----------------------------------------------------------------------------

    def endpoints(self) -> list[Endpoint]:
        with self._cond:
            return [Endpoint(p.name, LOOPBACK, p.port) for p in self._pods.values() if p.ready and p.child.alive()]

    def ready_pods(self) -> list[str]:
        return [e.pod for e in self.endpoints()]

    def pod(self, pod_name: str) -> LocalPod:
        with self._cond:
            try:
                return self._pods[pod_name]
            except KeyError:
                raise SetupError(f"no replica named {pod_name!r}; replicas: {sorted(self._pods)}") from None

    def describe(self) -> str:
        with self._cond:
            lines = [
                f"{p.name}: pid {p.child.pid}, port {p.port}, "
                + ("ready" if p.ready and p.child.alive() else "not ready")
                + (f", failed: {self._failures[p.name]}" if p.name in self._failures else "")
                for p in self._pods.values()
            ]
        return "\n".join(lines)

    # -- actions -----------------------------------------------------------------------------

    def delete_pod(self, pod_name: str, grace_period: float | None = None) -> str:
        """Delete the replica as the API server and the kubelet do; return its old uid.

        Returns once SIGTERM is sent (a pod deletion returns before the pod is gone); SIGKILL
        follows ``grace_period`` seconds later (default: the set's own) unless the process has
        ended. Until it ends, the replica stays routed: an app that keeps serving during its
        grace period still answers, as a terminating pod may.
        """
        pod = self.pod(pod_name)
        grace = self.grace_period if grace_period is None else grace_period
        child = pod.child
        if grace > 0:
            child.signal(signal.SIGTERM)

        def kill_after_grace() -> None:
            child.wait_exit(grace)
            child.stop(grace_period=0)  # SIGKILL if still running; reaps it

        threading.Thread(target=kill_after_grace, name=f"terminate-{pod.uid}", daemon=True).start()
        return pod.uid

    def wait_replaced(self, pod_name: str, old_uid: str, timeout: float) -> LocalPod:
        """Block until a replacement of ``pod_name`` (another uid) is ready and published."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                pod = self._pods[pod_name]
                if pod.uid != old_uid and pod.ready and pod.published:
                    return pod
                if pod_name in self._failures:
                    raise SetupError(f"the replacement of {pod_name} failed: {self._failures[pod_name]}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeout(f"a replacement of {pod_name} to be ready", timeout, self._describe_locked())
                self._cond.wait(remaining)

    def _describe_locked(self) -> str:
        return "\n".join(f"{p.name}: uid {p.uid}, port {p.port}, ready={p.ready}" for p in self._pods.values())

    # -- rollouts ----------------------------------------------------------------------------

    def rolling_restart(
        self, *, partition: int, grace_period: float, timeout: float, mark: Callable[[str], None]
    ) -> list[str]:
        """A StatefulSet rolling update: from the highest ordinal down to ``partition``, one pod
        at a time. Each pod first leaves the proxy (its readiness gate closes: the endpoints
        controller's part), then gets SIGTERM and ``grace_period`` seconds before SIGKILL; the
        supervisor starts its replacement, and the next pod waits until it is ready and routed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            names = sorted(self._pods, key=_ordinal, reverse=True)
        restarted = [n for n in names if _ordinal(n) >= partition]
        for pod_name in restarted:
            pod = self.pod(pod_name)
            with self._cond:
                pod.ready = False
                self._cond.notify_all()
            self._publish()
            mark(f"{pod_name} out of the proxy, terminating")
            pod.child.stop(grace_period=grace_period)
            mark(f"{pod_name} exited")
            self.wait_replaced(pod_name, pod.uid, max(deadline - time.monotonic(), 0.0))
            mark(f"{pod_name} ready")
        return restarted

    def scale_to(self, replicas: int, *, timeout: float, mark: Callable[[str], None]) -> list[str]:
        """Scale like a StatefulSet: remove from the highest ordinal down (each leaves the proxy,
        then terminates), or add the missing ordinals in order, each ready before the next."""
        if replicas < 1:
            raise SetupError(f"cannot scale {self.name} to {replicas} replicas (at least 1)")
        deadline = time.monotonic() + timeout
        changed: list[str] = []
        while True:
            with self._cond:
                current = len(self._pods)
                if current == replicas or self._stopping:
                    break
                if current > replicas:
                    pod_name = max(self._pods, key=_ordinal)
                    removed: LocalPod | None = self._pods.pop(pod_name)
                else:
                    pod_name, removed = f"{self.name}-{current}", None
            if removed is not None:
                self._publish()
                mark(f"{pod_name} removed from the proxy, terminating")
                removed.child.stop(grace_period=1.0)
                mark(f"{pod_name} gone")
            else:
                if time.monotonic() > deadline:
                    raise WaitTimeout(f"{self.name} to scale to {replicas}", timeout, self.describe())
                mark(f"{pod_name} starting")
                pod = self._start_pod(pod_name)
                with self._cond:
                    self._pods[pod_name] = pod
                self._publish()
                with self._cond:
                    pod.published = True
                    self._cond.notify_all()
                self._start_supervisor(pod_name)
                mark(f"{pod_name} ready")
            changed.append(pod_name)
        self.replicas = replicas
        return changed


def _ordinal(pod_name: str) -> int:
    tail = pod_name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1
