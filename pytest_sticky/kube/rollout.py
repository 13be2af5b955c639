"""Rolling restarts and scaling of the demo app's StatefulSet, through the Kubernetes API.

A restart is what ``kubectl rollout restart`` does: a new pod-template annotation makes a new
revision, and the StatefulSet controller replaces the pods from the highest ordinal down to
``spec.updateStrategy.rollingUpdate.partition``, one at a time, each Ready before the next.
Both actions are followed by watching the pods (with a deadline); the moments seen (a pod
terminating, its replacement Ready) go to ``mark``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import api_error
from pytest_sticky.kube.waits import fatal_reason, pod_ready, watch_until
from pytest_sticky.waiting import WaitAborted, WaitTimeout

RESTARTED_AT = "pytest-sticky/restartedAt"

Marker = Callable[[str], None]


def _ordinal(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


class PodMoments:
    """Turns a stream of pod states into marks: terminating, gone, Ready (new incarnation)."""

    def __init__(self, mark: Marker, old_uids: dict[str, str]) -> None:
        self.mark = mark
        self.old_uids = old_uids
        self.seen: set[tuple[str, str, str]] = set()

    def note(self, pods: dict[str, Any]) -> None:
        for name, pod in pods.items():
            uid = str(pod.metadata.uid)
            if pod.metadata.deletion_timestamp is not None:
                self._once(name, uid, "terminating")
            elif uid != self.old_uids.get(name) and pod_ready(pod):
                self._once(name, uid, "ready")
            reason = fatal_reason(pod)
            if reason:
                raise WaitAborted(reason)
        for name, uid in self.old_uids.items():
            current = pods.get(name)
            if current is None or str(current.metadata.uid) != uid:
                self._once(name, uid, "gone")

    def _once(self, name: str, uid: str, what: str) -> None:
        if (name, uid, what) not in self.seen:
            self.seen.add((name, uid, what))
            self.mark(f"{name} {what}")


def _pods(app: Any) -> dict[str, Any]:
    listing = app.kube.core.list_namespaced_pod(app.namespace, label_selector=app.selector)
    return {p.metadata.name: p for p in listing.items}


def _patch(app: Any, body: dict[str, Any], what: str) -> None:
    try:
        app.kube.apps.patch_namespaced_stateful_set(app.name, app.namespace, body)
    except Exception as exc:  # noqa: BLE001
        raise api_error(exc, app.kube, f"{what} StatefulSet {app.namespace}/{app.name}") from None


def _watch_pods(app: Any, check: Callable[[dict[str, Any]], list[str] | None], what: str, timeout: float) -> list[str]:
    try:
        result: list[str] = watch_until(
            app.kube.core.list_namespaced_pod,
            check,
            what=what,
            timeout=timeout,
            describe=app.describe,
            namespace=app.namespace,
            label_selector=app.selector,
        )
    except WaitAborted as exc:
        raise SetupError(f"{exc}\n{app.describe()}") from None
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None
    return result


def rolling_restart(app: Any, *, partition: int, grace_period: float, timeout: float, mark: Marker) -> list[str]:
    """Restart the pods with ordinal >= ``partition``; return them, highest ordinal first."""
    before = _pods(app)
    old_uids = {name: str(p.metadata.uid) for name, p in before.items()}
    restarted = sorted((n for n in before if _ordinal(n) >= partition), key=_ordinal, reverse=True)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    _patch(
        app,
        {
            "spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
                "template": {
                    "metadata": {"annotations": {RESTARTED_AT: now}},
                    "spec": {"terminationGracePeriodSeconds": math.ceil(grace_period)},
                },
            }
        },
        "restart",
    )
    moments = PodMoments(mark, old_uids)

    def done(pods: dict[str, Any]) -> list[str] | None:
        moments.note(pods)
        for name in restarted:
            pod = pods.get(name)
            if pod is None or str(pod.metadata.uid) == old_uids[name] or not pod_ready(pod):
                return None
        ready = [n for n, p in pods.items() if pod_ready(p)]
        return restarted if len(ready) >= app.replicas else None

    result = _watch_pods(app, done, f"the rolling restart of {', '.join(restarted)} to finish", timeout)
    _wait_routed(app, timeout)
    return result


def scale_to(app: Any, replicas: int, *, timeout: float, mark: Marker) -> list[str]:
    """Scale the StatefulSet; return once exactly ordinals 0..replicas-1 exist, Ready and routed."""
    before = _pods(app)
    old_uids = {name: str(p.metadata.uid) for name, p in before.items()}
    _patch(app, {"spec": {"replicas": replicas}}, "scale")
    app.replicas = replicas
    wanted = {f"{app.name}-{i}" for i in range(replicas)}
    moments = PodMoments(mark, old_uids)

    def done(pods: dict[str, Any]) -> list[str] | None:
        moments.note(pods)
        if set(pods) != wanted or not all(pod_ready(p) for p in pods.values()):
            return None
        return sorted(set(pods) ^ set(before), key=_ordinal)

    changed = _watch_pods(app, done, f"StatefulSet {app.name} to have exactly {replicas} Ready pods", timeout)
    _wait_routed(app, timeout)
    return changed


def _wait_routed(app: Any, timeout: float) -> None:
    ips = {p.status.pod_ip for p in _pods(app).values() if pod_ready(p)}
    try:
        app.wait_endpoints(ips, timeout=timeout)
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None
