"""OpenShift Routes: the router's affinity cookie as the Route's annotations configure it.

Mirrors openshift/origin ``test/extended/router/cookies_otp.go`` (custom cookie name, no IP in
the cookie, edge ``Secure; SameSite=<annotation, default None>``, ``disable_cookies`` reaching
several pods even with a cookie, passthrough without a cookie) against the facts of openshift/router
``images/router/haproxy/conf/haproxy-config.template``.

TLS: the router presents its default certificate; set OPENSHIFT_ROUTER_CA_BUNDLE to the ingress
CA's file to have it verified (without it these tests do not check the certificate: they check
cookies).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from requests.cookies import RequestsCookieJar
from urllib3.exceptions import InsecureRequestWarning

from pytest_sticky.abilities import HasRoute, HasRoutes
from pytest_sticky.app import StickyApp, StickyCluster
from pytest_sticky.assertions import check_pinned, requests_to_reach_all
from pytest_sticky.capabilities import other_cluster
from pytest_sticky.client import RequestRecord, StickyClient
from pytest_sticky.cookies import find_cookie
from pytest_sticky.openshift.routes import read_route, route_url

pytestmark = pytest.mark.sticky_cluster("openshift")

IP_LITERAL = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
ROUTER_COOKIE_VALUE = re.compile(r"^[0-9a-zA-Z]+$")


@contextmanager
def route_client(
    app: HasRoute, jar: RequestsCookieJar | None, url: str | None = None, **headers: str
) -> Iterator[StickyClient]:
    """A recording client for ``app`` (through its Route) that verifies TLS only against OPENSHIFT_ROUTER_CA_BUNDLE."""
    client = StickyClient(
        url or app.url,
        jar,
        headers={**app.headers, **headers},
        explain=app.explain_unreachable,
        verify=os.environ.get("OPENSHIFT_ROUTER_CA_BUNDLE") or False,  # not REQUESTS_CA_BUNDLE
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        try:
            yield client
        finally:
            client.close()


def pod_ips(app: HasRoute) -> set[str]:
    pods = app.kube.core.list_namespaced_pod(app.namespace, label_selector=app.selector).items
    return {p.status.pod_ip for p in pods if p.status.pod_ip}


@pytest.fixture(scope="module")
def openshift(sticky_cluster: StickyCluster) -> HasRoutes:
    """The OpenShift cluster (it can expose the app through more Routes)."""
    if not isinstance(sticky_cluster, HasRoutes):
        other_cluster(f"runs on --sticky-cluster=openshift; this run uses --sticky-cluster={sticky_cluster.name}")
    return sticky_cluster


@pytest.fixture
def routed_app(sticky_app: StickyApp) -> HasRoute:
    """The run's app (``sticky_app``) as reached through its OpenShift Route."""
    if not isinstance(sticky_app, HasRoute):
        other_cluster(
            f"runs on --sticky-cluster=openshift; this run reaches {sticky_app.name} through {sticky_app.reached_via}"
        )
    return sticky_app


def test_the_annotated_cookie_name_is_honoured_and_the_jar_holds_no_ip_literal(
    routed_app: HasRoute, assert_sticky: Callable[..., str], cookie_jar: RequestsCookieJar
) -> None:
    route = read_route(routed_app.project.run, routed_app.namespace, routed_app.route.name)
    assert route["metadata"]["annotations"]["router.openshift.io/cookie_name"] == routed_app.cookie_name

    assert_sticky(cookie_jar, requests=10)
    name = routed_app.cookie_name
    assert name is not None and name in cookie_jar, f"the jar holds {list(cookie_jar.keys())}"
    ips = pod_ips(routed_app)
    for cookie in cookie_jar:
        text = f"{cookie.name}={cookie.value}"
        assert not IP_LITERAL.search(text), f"the jar holds an IP address: {text}"
        assert not any(ip in text for ip in ips), f"the jar holds a pod's address ({sorted(ips)}): {text}"
    assert ROUTER_COOKIE_VALUE.match(cookie_jar[name]), cookie_jar[name]


@pytest.mark.parametrize("termination", ["", "edge", "passthrough"], ids=["http", "edge", "passthrough"])
def test_each_kind_of_route_pins_a_jar_to_one_pod(
    openshift: HasRoutes,
    routed_app: HasRoute,
    termination: str,
    sticky_recorder: Callable[[str, list[RequestRecord]], None],
) -> None:
    app = openshift.expose(routed_app, termination, termination=termination) if termination else routed_app
    if app.cookie_name is None:
        pytest.skip(app.no_cookie_reason)
    with route_client(app, RequestsCookieJar()) as client:
        client.get_many(10)  # as upstream: 10 of 10 requests with the jar reach one pod
    sticky_recorder(app.reached_via, client.records)
    check_pinned(client.records, url=app.url)


@pytest.mark.parametrize("same_site", [None, "Strict", "Lax"], ids=["default", "Strict", "Lax"])
def test_an_edge_route_cookie_is_secure_with_the_same_site_its_annotation_asks(
    openshift: HasRoutes, routed_app: HasRoute, same_site: str | None
) -> None:
    variant = f"edge-{(same_site or 'default').lower()}"
    edge = openshift.expose(routed_app, variant, termination="edge", same_site=same_site)
    with route_client(edge, RequestsCookieJar()) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), edge.cookie_name)
    assert cookie is not None, f"no {edge.cookie_name} cookie among {first.set_cookie}"
    assert cookie.secure, first.set_cookie
    assert cookie.http_only, first.set_cookie
    assert cookie.path == "/", first.set_cookie
    assert cookie.same_site == (same_site or "None"), first.set_cookie


def test_an_edge_route_redirects_plain_http_to_https(openshift: HasRoutes, routed_app: HasRoute) -> None:
    edge = openshift.expose(routed_app, "edge-default", termination="edge")
    url, headers = route_url(edge.host, "http", openshift.router_url)
    with route_client(edge, None, url=url, **headers) as client:
        answer = client.session.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code in (301, 302, 307, 308), (answer.status_code, answer.headers)
    assert answer.headers["Location"].startswith(f"https://{edge.host}"), answer.headers


def test_with_cookies_disabled_requests_reach_several_pods_even_with_a_cookie(
    openshift: HasRoutes,
    routed_app: HasRoute,
    assert_sticky: Callable[..., str],
    cookie_jar: RequestsCookieJar,
    sticky_recorder: Callable[[str, list[RequestRecord]], None],
) -> None:
    assert_sticky(cookie_jar, requests=5)  # a cookie the router would honour on a cookie route
    name = routed_app.cookie_name
    assert name is not None, f"{routed_app.reached_via} sets no affinity cookie: {routed_app.no_cookie_reason}"
    value = cookie_jar[name]
    off = openshift.expose(routed_app, "nocookie", cookie_name=name, disable_cookies=True)
    assert off.cookie_name is None and "disable_cookies" in off.no_cookie_reason

    count = requests_to_reach_all(2) * 2
    with route_client(off, None, Cookie=f"{name}={value}") as client:
        records = client.get_many(count)
    sticky_recorder(f"{off.reached_via} with {name}={value}", records)
    assert all(r.ok for r in records), [r for r in records if not r.ok]
    served = {r.pod for r in records}
    assert len(served) >= 2, f"{count} requests carrying {name}={value} all reached {served}: the cookie still pins"
    inserted = [h for r in records for h in r.set_cookie if h.startswith(f"{name}=")]
    assert not inserted, f"the router still sets its cookie: {inserted}"
