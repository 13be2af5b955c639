"""Cookie affinity configured by Ingress annotations (ingress-nginx, Traefik's NGINX provider).

Every expectation comes from the implementation's row in ``pytest_sticky.behaviours`` and names
its source. These run where the app is reached through an ingress controller: kind, or an
existing cluster with ``--sticky-ingress`` and ``--sticky-ingress-url``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import KilledPod
from pytest_sticky.app import AppSpec, StickyApp
from pytest_sticky.assertions import check_pinned
from pytest_sticky.capabilities import missing
from pytest_sticky.client import RequestRecord, client_for
from pytest_sticky.cookies import find_cookie

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
def ingress_cluster(sticky_cluster: Any) -> Any:
    if getattr(sticky_cluster, "ingress", None) is None:
        missing(  # a missing capability of this kind/existing run: fails under --sticky-strict
            "needs an ingress controller: run with --sticky-cluster=kind, or with "
            "--sticky-ingress=nginx|traefik --sticky-ingress-url=URL on an existing cluster that has one"
        )
    return sticky_cluster


def _deploy(cluster: Any, name: str, **spec: Any) -> StickyApp:
    app: StickyApp = cluster.deploy_app(AppSpec(name=name, **spec))
    return app


def test_cookie_attributes_follow_the_annotations(ingress_cluster: Any) -> None:
    app = _deploy(
        ingress_cluster,
        "hello-cookie",
        replicas=2,
        ingress_annotations={PREFIX + k: v for k, v in COOKIE_ANNOTATIONS.items()},
    )
    behaviour = app.behaviour
    where = f"{behaviour.implementation} ({behaviour.source})"
    assert behaviour.cookie_annotations >= {"name", "path", "expires", "max-age", "samesite", "secure"}, where
    sent = time.time()
    with client_for(app, RequestsCookieJar()) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), "STICKY_E2E")
    assert cookie is not None, f"no STICKY_E2E cookie in {first.set_cookie}; {where}"
    assert cookie.path == "/", where
    assert cookie.attributes.get("max-age") == "3600", f"{first.set_cookie}; {where}"
    expires = cookie.attributes.get("expires")
    assert isinstance(expires, str), f"no Expires in {first.set_cookie}; {where}"
    assert abs(parsedate_to_datetime(expires).timestamp() - (sent + 3600)) < 120, f"Expires={expires}; {where}"
    assert (cookie.same_site or "").lower() == "strict", f"{first.set_cookie}; {where}"
    assert cookie.secure, f"session-cookie-secure=true without Secure: {first.set_cookie}; {where}"
    assert cookie.http_only is behaviour.http_only, where


@pytest.mark.parametrize("mode", ["balanced", "persistent"])
def test_affinity_mode_decides_the_cookie_after_the_pinned_pod_is_deleted(
    ingress_cluster: Any, mode: str, kill_serving_pod: Callable[..., KilledPod]
) -> None:
    implementation = ingress_cluster.ingress.behaviour
    if mode not in implementation.affinity_modes:
        pytest.skip(
            f"{implementation.implementation} implements affinity-mode {implementation.affinity_modes} "
            f"only ({implementation.source})"
        )
    app = _deploy(ingress_cluster, f"hello-{mode}", replicas=3, ingress_annotations={PREFIX + "affinity-mode": mode})
    jar = RequestsCookieJar()
    with client_for(app, jar) as client:
        pinned = check_pinned(client.get_many(5), url=app.url)
    killed = kill_serving_pod(jar, app=app)
    assert killed.name == pinned
    if mode == "balanced":  # [ingress-nginx sticky_balanced.lua: the key re-hashes, no new cookie]
        assert killed.cookie_after == killed.cookie_before, (
            f"balanced mode changed the cookie ({implementation.source})"
        )
    else:  # [sticky_persistent.lua / Traefik: a new upstream, a new cookie]
        assert killed.cookie_after not in (None, killed.cookie_before), (
            f"persistent mode kept {killed.cookie_before!r} ({implementation.source})"
        )
    with client_for(app, jar) as client:
        check_pinned(client.get_many(5), url=app.url, what="requests after the failover")


def test_persistent_mode_keeps_every_holder_on_its_pod_when_scaling_up(
    ingress_cluster: Any, sticky_recorder: Callable[[str, list[RequestRecord]], None]
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
    ingress_cluster: Any, assert_spread: Callable[..., dict[str, int]]
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
