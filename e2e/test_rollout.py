"""Sessions through churn: many browsers at once while the app is rolled out or scaled.

Each test states what it expects before the run, from what it knows of the set-up (the replica
count, the restarted or removed ordinals), then compares it with what every browser saw. A run
over its budget fails with the timeline and each troubled browser's requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_sticky import LoadResult, RollingRestart, ScaleTo
from pytest_sticky.abilities import HasServiceAffinity
from pytest_sticky.app import AppSpec, StickyApp, StickyCluster
from pytest_sticky.capabilities import missing
from pytest_sticky.load.actions import ScalableApp
from pytest_sticky.load.evidence import condense
from pytest_sticky.load.result import Hit, Mark
from pytest_sticky.options import StickyConfig
from pytest_sticky.waiting import wait_until

if TYPE_CHECKING:
    from pytest_sticky.kube.incluster import InClusterClient

BROWSERS = 20
RATE = 100.0
"""Requests per second, all browsers together: enough that every browser asks every ~0.2 s."""


def _duration(config: StickyConfig) -> float:
    """Upper bound of one scenario: seconds on local, a Kubernetes rollout takes minutes."""
    return 30.0 if config.cluster == "local" else 240.0


KUBE_GRACE_S = 3
"""Grace period of the churn apps' pods on Kubernetes: they drain for 2.8 s after SIGTERM, longer
than a terminating pod's endpoint takes to leave kube-proxy's and the ingress's routing (on the
devcluster more than the default 0.8 s: with it, requests were refused for 0.2 s)."""


def _grace(config: StickyConfig) -> int:
    return config.grace_period if config.cluster == "local" else max(config.grace_period, KUBE_GRACE_S)


RELOAD_DROP = "ServerDisconnectedError"
"""How aiohttp reports a request whose kept-alive connection the proxy closed unanswered."""


def _reload_drops(app: StickyApp) -> int:
    """Requests a proxy reload may drop in one scenario: 1 behind Caddy, 0 elsewhere.

    Every endpoint change reloads Caddy's whole configuration, and the outgoing server closes
    the connections it sees idle (Go's ``http.Server.Shutdown``), racing a browser's next
    request on one of them; the browser retries once, and in 2 of 120 Redis rolling restarts
    measured behind Caddy that retry was dropped too (README, "Findings"). Behind HAProxy (a
    reload: new worker, the old one finishes its connections) and Envoy (endpoints from a watched
    file, no reload) no request failed in any run measured: none may fail there.
    """
    return 1 if app.reached_via.startswith("caddy") else 0


def _check_failures_are_reload_drops(result: LoadResult) -> None:
    failures = [h for h in result.hits if not h.ok]
    assert all(h.error.startswith(RELOAD_DROP) for h in failures), (
        f"only a request dropped at a proxy reload may fail here: {failures}"
    )


def _need_replicas(config: StickyConfig) -> None:
    if config.replicas < 3:
        pytest.skip(f"the churn scenarios need 3 replicas or more; this run has --sticky-replicas={config.replicas}")


@pytest.fixture(scope="module")
def churn_app(sticky_cluster: StickyCluster, sticky_config: StickyConfig) -> StickyApp:
    """A copy of the demo app (in-memory sessions) that these tests restart and scale."""
    _need_replicas(sticky_config)
    spec = AppSpec(name="hello-churn", replicas=sticky_config.replicas, grace_period=_grace(sticky_config))
    return sticky_cluster.deploy_app(spec)


@pytest.fixture(scope="module")
def churn_app_redis(sticky_cluster: StickyCluster, sticky_config: StickyConfig) -> StickyApp:
    """The same with its sessions in Redis (skipped, saying how to get Redis, without it)."""
    from pytest_sticky.errors import MissingTool

    _need_replicas(sticky_config)
    try:
        sticky_cluster.redis()
    except MissingTool as exc:
        missing(f"needs a Redis session store: {exc}")  # as sticky_app_redis: counted, a failure under strict
    spec = AppSpec(
        name="hello-churn-redis", replicas=sticky_config.replicas, store="redis", grace_period=_grace(sticky_config)
    )
    return sticky_cluster.deploy_app(spec)


@pytest.fixture
def restore_replicas(churn_app: StickyApp, sticky_config: StickyConfig) -> Iterator[None]:
    """Scale the churn app back to the run's replica count after a scaling test."""
    yield
    assert isinstance(churn_app, ScalableApp), f"{churn_app.name} cannot be scaled"
    churn_app.scale_to(sticky_config.replicas, timeout=_duration(sticky_config), mark=lambda label: None)


def _pods(app: StickyApp, ordinals: range) -> set[str]:
    return {f"{app.name}-{i}" for i in ordinals}


def _ring_moves_survivors(app: StickyApp) -> str:
    """Why browsers of pods that stay may move too ("" when the behaviour table says they do not).

    A hash ring (Envoy RING_HASH, as Istio's consistentHash renders it) is rebuilt whenever a pod
    leaves, joins or comes back on a new address, and every host's share of the ring changes: the
    table's ``pins_survive_membership_change`` cell says so, and the message cites its source.
    """
    behaviour = app.behaviour
    if behaviour.pins_survive_membership_change:
        return ""
    return f"{behaviour.implementation}: {behaviour.cite('pins_survive_membership_change')}"


def _cookie_changed(result: LoadResult) -> set[int]:
    """Browsers whose affinity cookie took more than one value during the run."""
    values: dict[int, set[str]] = {}
    for hit in result.hits:
        if hit.affinity is not None:
            values.setdefault(hit.browser, set()).add(hit.affinity)
    return {browser for browser, seen in values.items() if len(seen) > 1}


def _check_cookie_kept(app: StickyApp, result: LoadResult) -> None:
    """Where the table says the cookie survives its pod (a hash key), no browser's cookie changed."""
    behaviour = app.behaviour
    if app.cookie_name is not None and behaviour.after_serving_pod_deleted == "same-cookie":
        assert _cookie_changed(result) == set(), (
            f"{behaviour.implementation} keeps the affinity cookie when its pod goes "
            f"({behaviour.cite('after_serving_pod_deleted')})"
        )


def test_rolling_restart_with_the_redis_store_loses_no_session(
    sticky_load: Callable[..., LoadResult], churn_app_redis: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: sessions live in Redis, so every browser keeps its session and
    # its count goes on by one per request, whichever pod answers; the readiness gate drains
    # each pod before it stops, so no request fails.
    result = sticky_load(
        app=churn_app_redis,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(grace_period=_grace(sticky_config)),
        max_failed=_reload_drops(churn_app_redis),
        max_sessions_lost=0,
    )
    _check_failures_are_reload_drops(result)
    assert result.action_end is not None
    discontinued = [b for b in result.browsers if not b.continuous]
    assert not discontinued, f"counts jumped or sessions changed: {discontinued}"
    assert result.repinned >= 1, "nobody was re-pinned: the rollout restarted no serving pod"


def test_rolling_restart_with_memory_sessions_loses_exactly_the_restarted_pods_browsers(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: a rollout with partition 1 restarts ordinals 1..N-1 (highest
    # first) and leaves ordinal 0 alone. In-memory sessions die with their pod: exactly the
    # browsers pinned to a restarted pod when the rollout began lose their session (one that
    # moves to another restarted pod loses it again, but is already counted); the browsers on
    # ordinal 0 keep theirs. The readiness gate means no request fails.
    # Behind a hash ring (behaviour table: pins_survive_membership_change False) the ring is rebuilt
    # as each pod leaves and comes back on a new address, so browsers of ordinal 0 may move (and
    # lose their session) too: then the restarted pods' browsers are a subset of those who lost it,
    # every re-pinned browser lost it, and a browser of ordinal 0 lost it only by moving. A ring's
    # cookie is a hash key that names no pod, so a restarted pod's browser whose next request came
    # after its pod was back under the same name lost its session without a visible re-pin.
    restarted = _pods(churn_app, range(1, sticky_config.replicas))
    kept = _pods(churn_app, range(1))
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(partition=1, grace_period=_grace(sticky_config)),
        max_failed=_reload_drops(churn_app),
    )
    _check_failures_are_reload_drops(result)
    on_restarted, on_kept = result.pinned_before_action(restarted), result.pinned_before_action(kept)
    if churn_app.cookie_name is not None:
        # cookies spread 20 browsers over 3 pods: a pod with none has probability 3 * (2/3)^20 < 0.1 %
        # (through a Service with ClientIP all of them share one source IP, so one pod)
        pinned = [b.first_pod_before_action for b in result.browsers]
        assert on_restarted and on_kept, f"the browsers were not spread: {pinned}"
    assert on_restarted | on_kept == set(range(BROWSERS)), "a browser was not pinned before the rollout"
    ring = _ring_moves_survivors(churn_app)
    if ring:
        lost, repinned = result.lost_session(), result.repinned_browsers()
        assert on_restarted <= lost, ring
        assert repinned <= lost, ring
        assert lost - on_restarted <= repinned, (f"browsers of {kept} lost their session without moving", ring)
    else:
        assert result.lost_session() == on_restarted
        assert result.repinned_browsers() == on_restarted
    _check_cookie_kept(churn_app, result)


def test_a_readiness_gated_graceful_rollout_fails_no_request(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: every pod is restarted; each leaves the routing before it gets
    # SIGTERM and its replacement is routed to only once ready, so no request fails. Every
    # in-memory session lives on a restarted pod, so every browser loses its session.
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(grace_period=_grace(sticky_config)),
        max_failed=_reload_drops(churn_app),
    )
    _check_failures_are_reload_drops(result)
    assert result.lost_session() == set(range(BROWSERS))


@pytest.mark.usefixtures("restore_replicas")
def test_scale_down_repins_only_the_browsers_of_the_removed_pod(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: scaling N -> N-1 removes ordinal N-1 only; its browsers are
    # re-pinned (and lose their in-memory session), nobody else moves, nothing fails. Behind a
    # hash ring (pins_survive_membership_change False) the ring re-divides among the pods left, so
    # others may move too: the removed pod's browsers are then a subset of the re-pinned ones.
    removed = _pods(churn_app, range(sticky_config.replicas - 1, sticky_config.replicas))
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=ScaleTo(sticky_config.replicas - 1),
        max_failed=_reload_drops(churn_app),
    )
    _check_failures_are_reload_drops(result)
    on_removed = result.pinned_before_action(removed)
    if churn_app.cookie_name is not None:  # through a Service with ClientIP all browsers share one pod
        assert on_removed, "no browser was on the removed pod: the scenario showed nothing"
    ring = _ring_moves_survivors(churn_app)
    if ring:
        assert on_removed <= result.repinned_browsers(), ring
        assert result.lost_session() == result.repinned_browsers(), ring
    else:
        assert result.repinned_browsers() == on_removed
        assert result.lost_session() == on_removed
    _check_cookie_kept(churn_app, result)
    assert set(churn_app.pods()) == _pods(churn_app, range(sticky_config.replicas - 1))


@pytest.mark.usefixtures("restore_replicas")
def test_scale_up_moves_no_pinned_browser(
    sticky_load: Callable[..., LoadResult],
    churn_app: StickyApp,
    sticky_config: StickyConfig,
) -> None:
    # Expected before the run: a new pod gets new clients only; every browser that has a cookie
    # (or, through a Service with ClientIP, an affinity entry) stays where it is, keeps its
    # session, and nothing fails. Behind a hash ring (pins_survive_membership_change False) the
    # new pod takes its share of the ring, from every old pod: pinned browsers may move (to the new
    # pod or between old ones) and lose their session, nothing fails, and only movers lose it.
    ring = _ring_moves_survivors(churn_app)
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=ScaleTo(sticky_config.replicas + 1),
        max_failed=_reload_drops(churn_app),
        max_sessions_lost=None if ring else 0,
    )
    _check_failures_are_reload_drops(result)
    new_pod = f"{churn_app.name}-{sticky_config.replicas}"
    assert new_pod in churn_app.pods(), (result.marks, churn_app.diagnostics())
    if ring:
        assert result.lost_session() == result.repinned_browsers(), ring
    else:
        assert result.repinned_browsers() == set()
        assert new_pod not in result.pod_counts(), "a pinned browser was sent to the new pod"
    _check_cookie_kept(churn_app, result)


# Runs in the client pod (stock python image): requests on new connections from one source IP,
# printing [seconds since start, serving pod or "ERR ..."] for each.
_TIMED_REQUESTS = """
import json, sys, time, urllib.request
url, count, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start, seen = time.monotonic(), []
for i in range(count):
    t = time.monotonic() - start
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            seen.append([t, response.headers.get("X-Pod-Name") or "?"])
    except Exception as exc:
        seen.append([t, "ERR " + type(exc).__name__])
    time.sleep(pause)
print(json.dumps(seen))
"""


def _timed_batch(incluster: InClusterClient, url: str, count: int, offset: float) -> list[Hit]:
    import json

    output = incluster.exec(["python3", "-c", _TIMED_REQUESTS, url, str(count), "0.02"])
    rows = json.loads(output.strip().splitlines()[-1])
    return [
        Hit(
            t=offset + float(t),
            browser=0,
            status=None if pod.startswith("ERR") else 200,
            pod=None if pod.startswith("ERR") else pod,
            affinity=None,
            session=None,
            count=None,
            elapsed=0.0,
            error=pod if pod.startswith("ERR") else "",
        )
        for t, pod in rows
    ]


@pytest.mark.sticky_cluster("existing", "kind", "openshift")
def test_service_clientip_after_a_scale_up_keeps_old_clients_on_old_pods(
    request: pytest.FixtureRequest, churn_app: StickyApp, incluster: InClusterClient, sticky_config: StickyConfig
) -> None:
    # Expected before the run: with sessionAffinity ClientIP a client (one source IP) is pinned to
    # one pod for timeoutSeconds (10800 by default). After scaling up it stays there: the new pod
    # gets none of its requests, so new capacity only serves new clients (the seeds' skew).
    from pytest_sticky.plugin import LOADS_KEY

    assert isinstance(churn_app, HasServiceAffinity), f"{churn_app.name} has no Service to set ClientIP on"
    assert isinstance(churn_app, ScalableApp), f"{churn_app.name} cannot be scaled"
    churn_app.set_session_affinity("ClientIP")
    service = churn_app.service()
    url = f"http://{service.spec.cluster_ip}:{service.spec.ports[0].port}/"
    started = time.monotonic()
    marks: list[Mark] = []
    hits: list[Hit] = []

    def pinned_batch() -> list[Hit] | None:
        batch = _timed_batch(incluster, url, 15, time.monotonic() - started)
        hits.extend(batch)
        return batch if len({h.pod for h in batch}) == 1 and batch[0].ok else None

    first = wait_until(pinned_batch, what=f"ClientIP affinity to hold on {url}", timeout=60, interval=0.5)
    old_pod = first[0].pod
    marks.append(Mark(time.monotonic() - started, f"scale to {sticky_config.replicas + 1} begins"))
    try:
        churn_app.scale_to(
            sticky_config.replicas + 1,
            timeout=_duration(sticky_config),
            mark=lambda label: marks.append(Mark(time.monotonic() - started, label)),
        )
        marks.append(Mark(time.monotonic() - started, "scaled"))
        after = _timed_batch(incluster, url, 40, time.monotonic() - started)
        hits.extend(after)
    finally:
        churn_app.scale_to(sticky_config.replicas, timeout=_duration(sticky_config), mark=lambda label: None)
        churn_app.set_session_affinity("ClientIP")  # as deployed
    result = LoadResult("scale up (Service ClientIP)", 1, None, hits, marks, marks[0].t, marks[-1].t, hits[-1].t)
    request.node.stash.setdefault(LOADS_KEY, []).append(condense("in-cluster client", result))
    new_pod = f"{churn_app.name}-{sticky_config.replicas}"
    assert [h for h in after if not h.ok] == []
    assert {h.pod for h in after} == {old_pod}, f"the pinned client moved after the scale-up: {result.pod_counts()}"
    assert new_pod not in result.pod_counts()
