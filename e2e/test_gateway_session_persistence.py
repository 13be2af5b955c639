"""GEP-1619 (HTTPRoute ``sessionPersistence``): its planned conformance cases, each a test.

Gateway API has no conformance test for session persistence yet; GEP-1619 lists what one should
check [kubernetes-sigs/gateway-api v1.6.1 geps/gep-1619/index.md:1078-1090 "HTTPRoute Conformance
tests"; the cookie Path from the matched route path: :773-785]. (Upstream main has since made the
default Path "/" with an explicit ``cookie.path``, issue #4713; the union-shaped HTTPRoutes here write
the rule's path out, so both mean the same.) Each test below is one of those cases, named after it,
and runs against:

- ``envoy``: a real Envoy configured as Envoy Gateway v1.9 renders the rule (local cluster);
- ``envoy-ring-hash``: Envoy ``ring_hash`` with a cookie/header hash policy, as Istio renders
  ``consistentHash`` ("weak" persistence; local cluster);
- ``envoy-gateway``: Envoy Gateway through ``--sticky-ingress=gateway`` (kind / existing).

Expected values are literals from the GEP and the HTTPRoute we write here; where the
implementations differ (weighted backends, who issues the header) the expectation is the
implementation's row in ``pytest_sticky.behaviours.SESSION_PERSISTENCE``, which names its source.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky.abilities import HasGateway, HasLocalProxies
from pytest_sticky.app import StickyApp, StickyCluster
from pytest_sticky.assertions import check_pinned
from pytest_sticky.behaviours import SESSION_PERSISTENCE
from pytest_sticky.capabilities import missing, other_cluster
from pytest_sticky.client import RequestRecord, StickyClient, client_for
from pytest_sticky.cookies import find_cookie
from pytest_sticky.gateway.route import Backend, Route, RouteRule, SessionPersistence

Recorder = Callable[[str, list[RequestRecord]], None]
LOCAL_MODES = ("envoy", "envoy-ring-hash")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "implementation" not in metafunc.fixturenames:
        return
    from pytest_sticky.plugin import CONFIG_KEY

    config = metafunc.config.stash[CONFIG_KEY]
    if config.cluster == "local":
        implementations: tuple[str, ...] = LOCAL_MODES
    elif config.cluster in ("kind", "existing") and config.ingress == "gateway":
        implementations = ("envoy-gateway",)
    else:
        implementations = ("gateway",)
    metafunc.parametrize("implementation", implementations)


@pytest.fixture
def deploy(
    request: pytest.FixtureRequest, sticky_cluster: StickyCluster, implementation: str
) -> Callable[[Route], StickyApp]:
    """``deploy(route)``: the route's backends and the route, through ``implementation``."""
    if implementation == "gateway" or not isinstance(sticky_cluster, HasGateway):
        # counted in the summary with the tests for another cluster type (a run asks for the Gateway
        # API with --sticky-ingress=gateway; without it these are not for this run, and never fail it)
        other_cluster(
            "needs Gateway API session persistence: run on the local cluster (Envoy from the `local` extra), "
            "or with --sticky-cluster=kind|existing --sticky-ingress=gateway"
        )
    cluster: HasGateway = sticky_cluster

    def deploy_route(route: Route) -> StickyApp:
        from pytest_sticky.errors import MissingTool

        try:
            if isinstance(cluster, HasLocalProxies):
                app = cluster.deploy_route(route, proxy=implementation)
            else:
                app = cluster.deploy_route(route)
        except MissingTool as exc:
            missing(f"needs the {implementation} proxy: {exc}")
        from pytest_sticky.plugin import _watch

        _watch(request.node, app)  # the report says how this test reached it
        return app

    return deploy_route


def one_rule(name: str, persistence: SessionPersistence, *, path: str = "/", replicas: int = 3) -> Route:
    return Route(name, (RouteRule(path, (Backend(f"{name}-b", replicas=replicas),), persistence),))


def url_of(app: StickyApp, path: str) -> str:
    return app.url.rstrip("/") + path


def test_httproute_session_persistence_50_requests_with_the_cookie_reach_one_pod(
    deploy: Callable[[Route], StickyApp], assert_sticky: Callable[..., str]
) -> None:
    app = deploy(one_rule("gep-basic", SessionPersistence(session_name="gep-basic-session")))
    jar = RequestsCookieJar()
    pod = assert_sticky(jar, requests=60, app=app)  # with its negative control: distinct users spread
    assert pod.startswith("gep-basic-b-"), pod
    assert "gep-basic-session" in jar, f"the jar holds {list(jar.keys())}"


def test_httproute_session_persistence_session_cookie_has_no_expires_or_max_age(
    deploy: Callable[[Route], StickyApp], assert_sticky: Callable[..., str]
) -> None:
    app = deploy(one_rule("gep-session", SessionPersistence(session_name="gep-session-cookie")))
    jar = RequestsCookieJar()
    with client_for(app, jar) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), "gep-session-cookie")
    assert cookie is not None, f"no gep-session-cookie among {first.set_cookie}"
    assert "expires" not in cookie.attributes, first.set_cookie
    assert "max-age" not in cookie.attributes, first.set_cookie
    assert_sticky(jar, requests=10, app=app)


def test_httproute_session_persistence_permanent_cookie_lifetime_matches_absolute_timeout(
    deploy: Callable[[Route], StickyApp], assert_sticky: Callable[..., str]
) -> None:
    persistence = SessionPersistence(
        session_name="gep-permanent-cookie", absolute_timeout="1h30m", lifetime_type="Permanent"
    )
    app = deploy(one_rule("gep-permanent", persistence))
    jar = RequestsCookieJar()
    sent = time.time()
    with client_for(app, jar) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), "gep-permanent-cookie")
    assert cookie is not None, f"no gep-permanent-cookie among {first.set_cookie}"
    max_age = cookie.attributes.get("max-age")
    expires = cookie.attributes.get("expires")
    assert max_age is not None or expires is not None, f"a Permanent cookie without a lifetime: {first.set_cookie}"
    if max_age is not None:
        assert max_age == "5400", first.set_cookie
    if isinstance(expires, str):
        assert abs(parsedate_to_datetime(expires).timestamp() - (sent + 5400)) < 60, first.set_cookie
    assert_sticky(jar, requests=10, app=app)


def test_httproute_session_persistence_cookie_path_defaults_to_the_route_path_match(
    deploy: Callable[[Route], StickyApp], sticky_recorder: Recorder
) -> None:
    app = deploy(one_rule("gep-path", SessionPersistence(session_name="gep-path-cookie"), path="/gep-path"))
    jar = RequestsCookieJar()
    with StickyClient(url_of(app, "/gep-path/page"), jar, headers=app.headers) as client:
        client.get_many(10)
    sticky_recorder(f"{app.reached_via} /gep-path/page", client.records)
    cookie = find_cookie(list(client.records[0].set_cookie), "gep-path-cookie")
    assert cookie is not None, f"no gep-path-cookie among {client.records[0].set_cookie}"
    assert cookie.path == "/gep-path", client.records[0].set_cookie
    check_pinned(client.records, url=client.url)


def test_httproute_session_persistence_weighted_backends_split_first_requests_then_stick(
    deploy: Callable[[Route], StickyApp], implementation: str, sticky_recorder: Recorder
) -> None:
    rule = RouteRule(
        "/",
        (Backend("gep-weight-a", weight=70, replicas=2), Backend("gep-weight-b", weight=30, replicas=2)),
        SessionPersistence(session_name="gep-weight-cookie"),
    )
    app = deploy(Route("gep-weight", (rule,)))
    # First requests: 400 distinct users (no cookie, each a new connection) split about 70/30.
    with client_for(app, None, new_connection_each=True) as client:
        client.get_many(400)
    sticky_recorder(f"{app.reached_via}: 400 first requests", client.records)
    assert all(r.ok for r in client.records), [r for r in client.records if not r.ok][:3]
    backends = Counter((r.pod or "").rsplit("-", 1)[0] for r in client.records)
    # binomial(400, 0.7): mean 280, sd 9.2; 240..320 misses with a chance near 1e-5, and an even
    # 50/50 split (mean 200, sd 10) lands in it with a chance near 3e-5
    assert 240 <= backends["gep-weight-a"] <= 320, f"70/30 weights split 400 first requests {dict(backends)}"
    assert backends["gep-weight-a"] + backends["gep-weight-b"] == 400, dict(backends)

    behaviour = SESSION_PERSISTENCE[implementation]
    for user in range(10):
        jar = RequestsCookieJar()
        with client_for(app, jar) as client:
            client.get_many(50)
        sticky_recorder(f"{app.reached_via}: user {user}", client.records)
        if behaviour.weighted_backends_stick:
            check_pinned(client.records, url=app.url, what=f"requests of user {user} to a weighted rule")
        else:
            reached = {(r.pod or "").rsplit("-", 1)[0] for r in client.records}
            assert reached == {"gep-weight-a", "gep-weight-b"}, (
                f"{implementation} draws the backend per request ({behaviour.source}); user {user} reached {reached}"
            )


def test_httproute_session_persistence_sessions_are_independent_per_route_rule(
    deploy: Callable[[Route], StickyApp], sticky_recorder: Recorder
) -> None:
    backend = (Backend("gep-rules-b", replicas=3),)
    route = Route(
        "gep-rules",
        (
            RouteRule("/rule-a", backend, SessionPersistence(session_name="gep-rule-a")),
            RouteRule("/rule-b", backend, SessionPersistence(session_name="gep-rule-b")),
        ),
    )
    app = deploy(route)
    pairs = []
    for user in range(12):
        jar = RequestsCookieJar()
        pinned = {}
        for path in ("/rule-a/x", "/rule-b/x"):
            with StickyClient(url_of(app, path), jar, headers=app.headers) as client:
                client.get_many(8)
            sticky_recorder(f"{app.reached_via} user {user} {path}", client.records)
            pinned[path] = check_pinned(client.records, url=client.url)
        assert {(c.name, c.path) for c in jar} == {("gep-rule-a", "/rule-a"), ("gep-rule-b", "/rule-b")}, list(jar)
        pairs.append((pinned["/rule-a/x"], pinned["/rule-b/x"]))
    # one session per rule: a user's two sessions are drawn apart (all 12 alike by chance: (1/3)^12)
    assert any(a != b for a, b in pairs), f"each user's /rule-a and /rule-b sessions share one pod: {pairs}"


def test_httproute_session_persistence_header_based(
    deploy: Callable[[Route], StickyApp], implementation: str, sticky_recorder: Recorder
) -> None:
    header = "X-Gep-Session"
    app = deploy(one_rule("gep-header", SessionPersistence(type="Header", session_name=header)))
    behaviour = SESSION_PERSISTENCE[implementation]
    with client_for(app, None) as probe:  # a new user's first request
        answer = probe.session.get(app.url, timeout=5)
    assert answer.status_code == 200, answer
    issued = answer.headers.get(header)
    if behaviour.header_issued:
        assert issued, f"{implementation} issues the session header ({behaviour.source}); got {dict(answer.headers)}"
        token = issued
        pod = answer.headers.get("X-Pod-Name")
    else:
        assert issued is None, f"{implementation} does not issue {header} ({behaviour.source}); got {issued!r}"
        token, pod = "user-1", None
    with StickyClient(app.url, None, headers={**app.headers, header: token}) as client:
        client.get_many(50)
    sticky_recorder(f"{app.reached_via} with {header}", client.records)
    held = check_pinned(client.records, url=app.url, what=f"requests with {header}")
    if pod is not None:
        assert held == pod, f"the header issued by {pod} led to {held}"
    # distinct sessions (other header values, or none) are not all on that pod
    others = set()
    for user in range(20):
        value = {} if behaviour.header_issued else {header: f"user-{user + 2}"}
        with StickyClient(app.url, None, headers={**app.headers, **value}, new_connection_each=True) as client:
            others.add(client.get().pod)
    assert len(others) >= 2, f"20 other sessions all reached {others}"


def test_negative_control_sees_distinct_users_through_a_connection_derived_cookie(
    sticky_cluster: StickyCluster, assert_sticky: Callable[..., str], sticky_recorder: Recorder
) -> None:
    """Envoy ring_hash generates its cookie from the client's address: one connection = one user."""
    if not isinstance(sticky_cluster, HasLocalProxies):
        other_cluster(
            "runs on the local cluster (Envoy ring-hash mode, from the `local` extra): --sticky-cluster=local"
        )
    app = sticky_cluster.deploy_route(
        one_rule("ring-control", SessionPersistence(session_name="ring-control")), proxy="envoy-ring-hash"
    )
    with client_for(app, None) as reused:  # one kept-alive connection, no cookie
        reused.get_many(30)
    sticky_recorder("one connection without a cookie", reused.records)
    assert len({r.pod for r in reused.records}) == 1, "ring_hash should pin one connection's generated cookie"
    assert_sticky(RequestsCookieJar(), requests=20, app=app)  # its control uses a new connection per request
