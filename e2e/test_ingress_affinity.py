"""Cookie affinity configured by Ingress annotations (ingress-nginx, Traefik's NGINX provider).

Every expectation comes from the implementation's row in ``pytest_sticky.behaviours`` and names
its source. These run where the app is reached through an ingress controller: kind, or an
existing cluster with ``--sticky-ingress`` and ``--sticky-ingress-url``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import KilledPod
from pytest_sticky.abilities import HasIngress
from pytest_sticky.app import AppSpec, StickyApp, StickyCluster
from pytest_sticky.assertions import check_pinned
from pytest_sticky.behaviours import ingress_behaviour
from pytest_sticky.capabilities import missing
from pytest_sticky.client import RequestRecord, client_for
from pytest_sticky.cookies import find_cookie, parse_set_cookie
from pytest_sticky.kube.ingress import IngressRoute, first_set_cookies

pytestmark = pytest.mark.sticky_cluster("kind", "existing")

PREFIX = "nginx.ingress.kubernetes.io/"
COOKIE_ANNOTATIONS = {
    "session-cookie-name": "STICKY_E2E",
    "session-cookie-path": "/",
    "session-cookie-expires": "3600",
    "session-cookie-max-age": "3600",
    "session-cookie-samesite": "Strict",
    "session-cookie-secure": "true",
}


@pytest.fixture(scope="module")
def ingress_cluster(sticky_cluster: StickyCluster) -> HasIngress:
    if not isinstance(sticky_cluster, HasIngress) or sticky_cluster.ingress is None:
        missing(  # a missing capability of this kind/existing run: fails under --sticky-strict
            "needs an ingress controller: run with --sticky-cluster=kind, or with "
            "--sticky-ingress=nginx|traefik --sticky-ingress-url=URL on an existing cluster that has one"
        )
    return sticky_cluster


def _deploy(
    cluster: HasIngress,
    name: str,
    *,
    replicas: int,
    affinity: bool = True,
    ingress_annotations: dict[str, str | None] | None = None,
) -> StickyApp:
    spec = AppSpec(name=name, replicas=replicas, affinity=affinity, ingress_annotations=ingress_annotations or {})
    return cluster.deploy_app(spec)


def _ingress(cluster: HasIngress) -> IngressRoute:
    """The cluster's ingress controller as it is known now (what answers may have re-identified it)."""
    assert cluster.ingress is not None, "the ingress_cluster fixture skips a cluster without one"
    return cluster.ingress


def test_cookie_attributes_follow_the_annotations(ingress_cluster: HasIngress) -> None:
    deployed = time.time()
    app = _deploy(
        ingress_cluster,
        "hello-cookie",
        replicas=2,
        ingress_annotations={PREFIX + k: v for k, v in COOKIE_ANNOTATIONS.items()},
    )
    behaviour = app.behaviour
    where = f"{behaviour.label} ({behaviour.source})"
    assert {"name", "path", "max-age", "samesite", "secure"} <= behaviour.cookie_annotations, where
    sent = time.time()
    with client_for(app, RequestsCookieJar()) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), "STICKY_E2E")
    assert cookie is not None, f"no STICKY_E2E cookie in {first.set_cookie}; {where}"
    assert cookie.path == "/", where
    assert cookie.attributes.get("max-age") == "3600", f"{first.set_cookie}; {where}"
    expires = cookie.attributes.get("expires")
    why = behaviour.cite("expires")
    if behaviour.expires == "unsupported":
        assert expires is None, f"session-cookie-expires is unsupported here ({why}), yet Expires={expires}"
    else:
        assert isinstance(expires, str), f"no Expires in {first.set_cookie}; {where}"
        at = parsedate_to_datetime(expires).timestamp() - 3600
        if behaviour.expires == "per-response":  # now + 3600 on each Set-Cookie
            assert abs(at - sent) < 120, f"Expires={expires}, sent at {sent:.0f}; {why}"
        else:  # "at-config-load": now + 3600 when the controller built the route, i.e. after the deploy began
            assert deployed - 120 < at < sent + 120, f"Expires={expires}, deployed at {deployed:.0f}; {why}"
    assert (cookie.same_site or "").lower() == "strict", f"{first.set_cookie}; {where}"
    assert cookie.secure, f"session-cookie-secure=true without Secure: {first.set_cookie}; {where}"
    assert cookie.http_only is behaviour.http_only, where


def test_an_ingress_without_a_cookie_name_gets_the_controllers_default(ingress_cluster: HasIngress) -> None:
    """Both controllers name it INGRESSCOOKIE: ingress-nginx sessionaffinity/main.go:38 (controller-v1.15.1),
    Traefik translator.go:376 (v3.7.9)."""
    app = _deploy(
        ingress_cluster, "hello-default-name", replicas=2, ingress_annotations={PREFIX + "session-cookie-name": None}
    )
    assert app.behaviour.default_cookie_name == "INGRESSCOOKIE", app.behaviour.cite("default_cookie_name")
    with client_for(app, RequestsCookieJar()) as client:
        first = client.get()
    assert first.ok, first
    names = [parse_set_cookie(h).name for h in first.set_cookie]
    assert names == ["INGRESSCOOKIE"], f"{first.set_cookie}; {app.behaviour.cite('default_cookie_name')}"


@pytest.mark.parametrize(
    ("agent", "old_browser"),
    [
        # rootfs/etc/nginx/lua/util/same_site.lua:17-37 (controller-v1.15.1): Chrome 5x rejects SameSite=None
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/51.0.2704.103 Safari/537.36",
            True,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            False,
        ),
    ],
    ids=["chrome-51", "chrome-131"],
)
def test_conditional_samesite_none_leaves_samesite_out_for_browsers_that_reject_it(
    ingress_cluster: HasIngress, agent: str, old_browser: bool
) -> None:
    app = _deploy(
        ingress_cluster,
        "hello-samesite",
        replicas=2,
        ingress_annotations={
            PREFIX + "session-cookie-samesite": "None",
            PREFIX + "session-cookie-conditional-samesite-none": "true",
        },
    )
    behaviour = app.behaviour
    honoured = behaviour.honours("conditional-samesite-none")
    first = _first_answer(app.url, app.headers["Host"], agent)
    cookie = find_cookie(first, app.cookie_name)
    assert cookie is not None, first
    if honoured and old_browser:
        assert cookie.same_site is None, f"{first}; {behaviour.label} honours conditional-samesite-none"
    else:  # a new browser, or an implementation that ignores the annotation (Traefik: docs, Unsupported Annotations)
        assert cookie.same_site == "None", f"{first}; {behaviour.label} ({behaviour.cite('cookie_annotations')})"


def test_secure_false_over_https_is_still_secure_where_the_row_says_so(ingress_cluster: HasIngress) -> None:
    route = _ingress(ingress_cluster)
    behaviour = route.behaviour
    if behaviour.product != "ingress-nginx":
        pytest.skip(
            f"{behaviour.label}: Secure is exactly the session-cookie-secure annotation "
            f"({behaviour.cite('secure_false_stays_secure_on_https')}); this suite routes Traefik over HTTP only"
        )
    if not route.https_url:
        pytest.skip(
            "needs the ingress controller's HTTPS address: run with --sticky-cluster=kind (it maps the node's port "
            "443 to a host port)"
        )
    app = _deploy(
        ingress_cluster,
        "hello-secure-false",
        replicas=2,
        ingress_annotations={PREFIX + "session-cookie-secure": "false"},
    )
    over_http = find_cookie(_first_answer(app.url, app.headers["Host"]), app.cookie_name)
    over_https = find_cookie(_first_answer(route.https_url, app.headers["Host"]), app.cookie_name)
    assert over_http is not None and over_https is not None, (over_http, over_https)
    why = behaviour.cite("secure_false_stays_secure_on_https")
    assert not over_http.secure, f"session-cookie-secure=false over HTTP set Secure ({why})"
    assert over_https.secure is behaviour.secure_false_stays_secure_on_https, f"over HTTPS: {over_https}; {why}"


def test_change_on_failure_keeps_the_client_on_a_live_pod_and_only_moves_it_with_a_new_cookie(
    ingress_cluster: HasIngress, kill_serving_pod: Callable[..., KilledPod]
) -> None:
    """ingress-nginx sticky.lua:182-195 (controller-v1.15.1): with change-on-failure a failed attempt picks a new
    upstream and sets a new cookie, even in balanced mode (where a stale key otherwise re-hashes, no new cookie).

    Whether an attempt fails depends on when the controller drops the dying pod, so this asserts what holds
    either way: every answer after the failover comes from one live pod, and the client moved to it with a
    cookie of the balanced shape (``<time>.<pid>.<random>|<md5>``) or kept its cookie.
    """
    behaviour = _ingress(ingress_cluster).behaviour
    if not behaviour.honours("change-on-failure"):
        pytest.skip(
            f"{behaviour.label} ignores session-cookie-change-on-failure ({behaviour.cite('cookie_annotations')})"
        )
    app = _deploy(
        ingress_cluster,
        "hello-change-on-failure",
        replicas=3,
        ingress_annotations={PREFIX + "affinity-mode": "balanced", PREFIX + "session-cookie-change-on-failure": "true"},
    )
    jar = RequestsCookieJar()
    with client_for(app, jar) as client:
        pinned = check_pinned(client.get_many(5), url=app.url)
    killed = kill_serving_pod(jar, app=app)
    assert killed.name == pinned
    if killed.cookie_after != killed.cookie_before:
        assert killed.cookie_after is not None and re.fullmatch(
            r"\d+(\.\d+)?\.\d+\.\d+\|[0-9a-f]{32}", killed.cookie_after
        ), f"a new cookie that is not a balanced-mode key: {killed.cookie_after!r} ({behaviour.cite('cookie_value')})"
    with client_for(app, jar) as client:
        check_pinned(client.get_many(5), url=app.url, what="requests after the failover")


def _first_answer(base_url: str, host: str, agent: str = "pytest-sticky") -> list[str]:
    """The Set-Cookie headers of one cookie-less ``GET /`` (HTTPS: server name and Host ``host``)."""
    status, set_cookies = first_set_cookies(base_url, host, user_agent=agent)
    assert status == 200, f"GET {base_url} (Host {host}): {status}"
    return set_cookies


@pytest.mark.parametrize("mode", ["balanced", "persistent"])
def test_affinity_mode_decides_the_cookie_after_the_pinned_pod_is_deleted(
    ingress_cluster: HasIngress, mode: str, kill_serving_pod: Callable[..., KilledPod]
) -> None:
    route = _ingress(ingress_cluster)
    # Traefik implements persistent only and ignores balanced (its docs, ingress-nginx.md "Session Affinity"):
    # an Ingress asking for balanced behaves as persistent, which is asserted here rather than skipped.
    applies = route.behaviour.behaves_as_mode(mode)
    expected = ingress_behaviour(route.product, version=route.version, mode=applies)
    app = _deploy(ingress_cluster, f"hello-{mode}", replicas=3, ingress_annotations={PREFIX + "affinity-mode": mode})
    jar = RequestsCookieJar()
    with client_for(app, jar) as client:
        pinned = check_pinned(client.get_many(5), url=app.url)
    killed = kill_serving_pod(jar, app=app)
    assert killed.name == pinned
    why = f"{expected.label}, asked for {mode}: {expected.cite('after_serving_pod_deleted')}"
    if expected.after_serving_pod_deleted == "same-cookie":
        assert killed.cookie_after == killed.cookie_before, f"the cookie changed; {why}"
    else:
        assert killed.cookie_after not in (None, killed.cookie_before), f"kept {killed.cookie_before!r}; {why}"
    with client_for(app, jar) as client:
        check_pinned(client.get_many(5), url=app.url, what="requests after the failover")


def test_persistent_mode_keeps_every_holder_on_its_pod_when_scaling_up(
    ingress_cluster: HasIngress, sticky_recorder: Callable[[str, list[RequestRecord]], None]
) -> None:
    app = _deploy(
        ingress_cluster, "hello-scale", replicas=2, ingress_annotations={PREFIX + "affinity-mode": "persistent"}
    )
    jars = [RequestsCookieJar() for _ in range(8)]
    before = []
    for jar in jars:
        with client_for(app, jar) as client:
            before.append(check_pinned(client.get_many(3), url=app.url))
    app.scale(4, timeout=180)  # type: ignore[attr-defined]
    for i, (jar, pod) in enumerate(zip(jars, before, strict=True)):
        with client_for(app, jar) as client:
            records = client.get_many(3)
        sticky_recorder(f"holder {i} after scale-up", records)
        assert check_pinned(records, url=app.url) == pod, (
            f"holder {i} moved from {pod} on scale-up [ingress-nginx test/e2e/annotations/affinitymode.go: "
            "persistent keeps holders]"
        )


def test_a_second_ingress_without_affinity_spreads(
    ingress_cluster: HasIngress, assert_spread: Callable[..., dict[str, int]]
) -> None:
    app = _deploy(ingress_cluster, "hello-plain", replicas=3, affinity=False)
    assert app.cookie_name is None
    counts = assert_spread(app=app)
    assert set(counts) == set(app.pods())
    jar = RequestsCookieJar()
    with client_for(app, jar) as client:
        records = client.get_many(20)
    assert not any(r.set_cookie for r in records), "an Ingress without affinity set a cookie"
    assert len({r.pod for r in records}) >= 2, "without affinity, one jar's requests should still spread"
