"""How long after a pod turns Ready in the API the plugin notices it: watch vs polling.

After each deletion of a StatefulSet pod, three observers wait for its replacement (new uid,
Ready) at the same time: the plugin's watch (``kube.waits.watch_until``, what
``KubeApp.wait_replaced`` uses), a poll every 1 s (what ``kubectl wait``-style loops do) and a
poll every 20 ms, the reference for when the change became visible in the API. Latencies are
each observer's moment minus the reference's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_sticky.app import AppSpec
from pytest_sticky.kube.cluster import KubeCluster
from pytest_sticky.kube.manifests import Images
from pytest_sticky.kube.waits import pod_ready, watch_until

LAB_IMAGES = Images(app="sticky-lab/python:3", redis="sticky-lab/redis:7", pull_policy="Never")
REFERENCE_POLL_S = 0.02
SLOW_POLL_S = 1.0
POD = "notice-0"


@dataclass
class NoticeResults:
    watch_ms: list[float] = field(default_factory=list)
    poll_1s_ms: list[float] = field(default_factory=list)
    replaced_s: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "watch_ms": [round(x, 1) for x in self.watch_ms],
            "poll_1s_ms": [round(x, 1) for x in self.poll_1s_ms],
            "replaced_s": [round(x, 2) for x in self.replaced_s],
        }


def _poll(
    core: Any, namespace: str, old_uid: str, interval: float, seen: dict[str, float], key: str, stop: threading.Event
) -> None:
    while not stop.is_set():
        try:
            pod = core.read_namespaced_pod(POD, namespace)
            if pod.metadata.uid != old_uid and pod_ready(pod):
                seen[key] = time.monotonic()
                return
        except Exception:  # noqa: BLE001 (404 while the pod is replaced)
            pass
        stop.wait(interval)


def _replaced_check(old_uid: str) -> Callable[[dict[str, Any]], bool | None]:
    def check(pods: dict[str, Any]) -> bool | None:
        pod = pods.get(POD)
        return True if pod is not None and pod.metadata.uid != old_uid and pod_ready(pod) else None

    return check


def measure(kubeconfig: Path, *, repetitions: int) -> NoticeResults:
    results = NoticeResults()
    cluster = KubeCluster(
        kubeconfig=str(kubeconfig), context=None, images=LAB_IMAGES, timeout=180, keep=False, grace_period=1
    )
    try:
        app = cluster.deploy_app(AppSpec(name="notice", replicas=1))
        core, namespace = cluster.kube.core, cluster.namespace.name
        for _ in range(repetitions):
            old_uid = app.pod_uid(POD)
            seen: dict[str, float] = {}
            stop = threading.Event()
            pollers = [
                threading.Thread(target=_poll, args=(core, namespace, old_uid, interval, seen, key, stop), daemon=True)
                for key, interval in (("reference", REFERENCE_POLL_S), ("poll_1s", SLOW_POLL_S))
            ]
            start = time.monotonic()
            app.delete_pod(POD, 1)
            for poller in pollers:
                poller.start()
            watch_until(
                core.list_namespaced_pod,
                _replaced_check(old_uid),
                what=f"a replacement of {POD} to be Ready",
                timeout=180,
                describe=lambda: "",
                namespace=namespace,
                field_selector=f"metadata.name={POD}",
            )
            seen["watch"] = time.monotonic()
            for poller in pollers:
                poller.join(timeout=30)
            stop.set()
            if "reference" in seen and "poll_1s" in seen:
                results.watch_ms.append((seen["watch"] - seen["reference"]) * 1000)
                results.poll_1s_ms.append((seen["poll_1s"] - seen["reference"]) * 1000)  # both in ms
                results.replaced_s.append(seen["reference"] - start)
    finally:
        cluster.close()
    return results
