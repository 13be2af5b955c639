"""Service ``sessionAffinity: ClientIP`` (kube-proxy), mirroring the Kubernetes conformance tests.

Requests come from a client pod inside the cluster (exec), as the upstream tests send them, so
these tests also run on kind and OpenShift, where the host cannot reach ClusterIPs. "Affinity
holds" means, as upstream, that 15 requests in a row are answered by one pod.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from pytest_sticky.abilities import HasServiceAffinity
from pytest_sticky.kube.incluster import InClusterClient
from pytest_sticky.waiting import wait_until

pytestmark = pytest.mark.sticky_cluster("existing", "kind", "openshift")

AFFINITY_REQUESTS = 15
SYNC_TIMEOUT_S = 60.0
"""kube-proxy applies a Service change on its next sync; how long we give it."""


def _cluster_ip_url(app: HasServiceAffinity) -> str:
    service = app.service()
    return f"http://{service.spec.cluster_ip}:{service.spec.ports[0].port}/"


def _node_port_url(app: HasServiceAffinity) -> str:
    service = app.service()
    node = app.kube.core.list_node().items[0]
    ip = next(a.address for a in node.status.addresses if a.type == "InternalIP")
    return f"http://{ip}:{service.spec.ports[0].node_port}/"


def _batch(incluster: InClusterClient, url: str, count: int = AFFINITY_REQUESTS) -> Counter[str]:
    pods = incluster.get_pods(url, count)
    errors = [p for p in pods if p.startswith("ERR")]
    assert not errors, f"requests from the client pod to {url} failed: {errors[:3]}"
    return Counter(pods)


def _until(incluster: InClusterClient, url: str, pinned: bool, what: str) -> Counter[str]:
    seen: list[Counter[str]] = []

    def check() -> Counter[str] | None:
        counts = _batch(incluster, url)
        seen.append(counts)
        return counts if (len(counts) == 1) == pinned else None

    return wait_until(
        check,
        what=what,
        timeout=SYNC_TIMEOUT_S,
        interval=0.5,
        max_interval=2.0,
        state=lambda: f"batches of {AFFINITY_REQUESTS} requests saw: {[dict(c) for c in seen[-5:]]}",
    )


# After each wait (``_until`` only says the state was reached once), the assertions are made on a
# fresh, larger batch: what a client sees from then on, not what the wait already checked.
CHECK_REQUESTS = 30
"""With 3 ready pods and no affinity, 30 requests all landing on one pod by chance: 3^-29."""


def _ready_pods(app: HasServiceAffinity) -> set[str]:
    pods = set(app.pods())
    assert len(pods) >= 2, f"affinity can only be shown with two ready pods or more; ready: {sorted(pods)}"
    return pods


def _assert_pinned(incluster: InClusterClient, url: str, ready: set[str]) -> str:
    counts = _batch(incluster, url, CHECK_REQUESTS)
    assert sum(counts.values()) == CHECK_REQUESTS, counts
    assert len(counts) == 1, f"{CHECK_REQUESTS} requests to {url} with ClientIP affinity reached {dict(counts)}"
    (pod,) = counts
    assert pod in ready, f"answered by {pod}, not one of the app's ready pods {sorted(ready)}"
    return pod


def _assert_spread(incluster: InClusterClient, url: str, ready: set[str]) -> None:
    counts = _batch(incluster, url, CHECK_REQUESTS)
    assert len(counts) >= 2, f"{CHECK_REQUESTS} requests to {url} without affinity all reached {dict(counts)}"
    assert set(counts) <= ready, f"answered by {sorted(counts)}; the app's ready pods are {sorted(ready)}"


def test_clientip_affinity_holds_for_the_cluster_ip(
    affinity_app: HasServiceAffinity, incluster: InClusterClient
) -> None:
    ready = _ready_pods(affinity_app)
    affinity_app.set_session_affinity("ClientIP")
    url = _cluster_ip_url(affinity_app)
    waited = _until(incluster, url, pinned=True, what=f"ClientIP affinity to hold on {url}")
    assert _assert_pinned(incluster, url, ready) in waited, "the pod changed after affinity held"


def test_clientip_affinity_holds_for_the_node_port(
    affinity_app: HasServiceAffinity, incluster: InClusterClient
) -> None:
    ready = _ready_pods(affinity_app)
    affinity_app.set_session_affinity("ClientIP")
    url = _node_port_url(affinity_app)
    waited = _until(incluster, url, pinned=True, what=f"ClientIP affinity to hold on NodePort {url}")
    assert _assert_pinned(incluster, url, ready) in waited, "the pod changed after affinity held"


def test_switching_affinity_none_to_clientip_and_back(
    affinity_app: HasServiceAffinity, incluster: InClusterClient
) -> None:
    ready = _ready_pods(affinity_app)
    url = _cluster_ip_url(affinity_app)
    affinity_app.set_session_affinity("None")
    _until(incluster, url, pinned=False, what=f"requests to {url} to spread with sessionAffinity None")
    _assert_spread(incluster, url, ready)
    affinity_app.set_session_affinity("ClientIP")
    _until(incluster, url, pinned=True, what=f"ClientIP affinity to hold on {url} after switching")
    _assert_pinned(incluster, url, ready)
    affinity_app.set_session_affinity("None")
    _until(incluster, url, pinned=False, what=f"requests to {url} to spread again after switching back")
    _assert_spread(incluster, url, ready)


def test_clientip_affinity_expires_after_its_timeout(
    affinity_app: HasServiceAffinity, incluster: InClusterClient
) -> None:
    timeout_s = 2
    affinity_app.set_session_affinity("ClientIP", timeout_seconds=timeout_s)
    url = _cluster_ip_url(affinity_app)
    _until(incluster, url, pinned=True, what=f"ClientIP affinity (timeout {timeout_s} s) to hold on {url}")
    # Idle longer than the timeout between requests: each one is balanced afresh. With 3 pods,
    # 8 requests all landing on one pod by chance has probability 3^-7.
    started = time.monotonic()
    pods = incluster.get_pods(url, 8, pause=timeout_s + 1.5)
    assert not [p for p in pods if p.startswith("ERR")], pods
    assert len(set(pods)) >= 2, (
        f"after idling {timeout_s + 1.5} s (> timeoutSeconds {timeout_s}) between requests, all 8 went to "
        f"{pods[0]} ({time.monotonic() - started:.0f} s): the affinity did not expire"
    )
