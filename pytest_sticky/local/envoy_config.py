"""Envoy's configuration for a :class:`~pytest_sticky.gateway.route.Route`, in two modes.

``envoy`` (stateful session), as Envoy Gateway v1.9.0 translates an HTTPRoute rule's
``sessionPersistence`` [envoyproxy/gateway v1.9.0]:

- ``internal/xds/translator/session_persistence.go``: one ``envoy.filters.http.stateful_session``
  filter in the HTTP connection manager, ``disabled: true`` (line 100), and per route a
  ``StatefulSessionPerRoute`` override (``patchRoute``); Cookie -> ``envoy.http.stateful_session.cookie``
  (line 31) with ``CookieBasedSessionState{cookie{name, path}}`` (lines 115-118), the path from the
  route's path match (``routePathToCookiePath``, line 158), a ``ttl`` only when set (line 122);
  Header -> ``envoy.http.stateful_session.header`` (line 32) with ``HeaderBasedSessionState{name}``
  (line 128). ``strict`` is never set, so it is false: when the pinned host is gone Envoy
  load-balances and writes a new cookie.
- ``internal/gatewayapi/route.go:1181-1188``: the TTL is set only for ``lifetimeType: Permanent``
  with an ``absoluteTimeout``; an unset ``sessionName`` becomes ``httproute-<ns>-<name>-rule-<i>``.
- ``internal/xds/translator/cluster.go:1040-1056``: a rule's backendRefs are one cluster, each
  backend a locality (``region`` = its name) whose ``load_balancing_weight`` is the backendRef's
  weight, with ``locality_weighted_lb_config`` (line 587): so a session pins across backends.

``envoy-ring-hash``, as Istio renders ``DestinationRule trafficPolicy.loadBalancer.consistentHash``
``httpCookie{name, path, ttl}`` / ``httpHeaderName``: ``lb_policy: RING_HASH`` on the cluster and a
route ``hash_policy`` (``cookie{name, path, ttl}`` / ``header{header_name}``) [istio/istio 0098d99
pilot/pkg/networking/core/route/route.go ``consistentHashToHashPolicy``: name, ttl and path copied
as given]. A Session lifetime is rendered as ``ttl: 0s`` (a DestinationRule with ``ttl: 0s``): without
a ttl Envoy would generate no cookie at all. Weights between
Services are a route's ``weighted_clusters`` (VirtualService weights), one cluster per backend.
Envoy generates the cookie only when a ``ttl`` is given (``0s``: a session cookie), from the
downstream address: "weak" persistence, a new connection may be a new host until the cookie is
held. [envoyproxy/envoy api/envoy/config/route/v3/route_components.proto RouteAction.HashPolicy.Cookie]

Endpoints are not in the bootstrap: each cluster reads a ``ClusterLoadAssignment`` from a file
(``path_config_source``), which Envoy watches (inotify on a move into place) and reloads without
a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pytest_sticky.gateway.route import Route, RouteRule, SessionPersistence, default_session_name, duration_seconds
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.ports import LOOPBACK

EnvoyMode = Literal["stateful-session", "ring-hash"]
NAMESPACE = "local"
"""The namespace the local routes pretend to live in (it shows in default session names)."""

STATEFUL_SESSION = "envoy.filters.http.stateful_session"
_T = "type.googleapis.com/"
_HCM = _T + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"


def session_name(route: Route, index: int, persistence: SessionPersistence) -> str:
    return persistence.session_name or default_session_name(NAMESPACE, route.name, index)


def cluster_names(route: Route, mode: EnvoyMode) -> dict[str, list[str]]:
    """Cluster name -> the backend apps whose endpoints it holds."""
    clusters: dict[str, list[str]] = {}
    for i, rule in enumerate(route.rules):
        if mode == "stateful-session":
            clusters[f"rule-{i}"] = [b.app for b in rule.backends]
        else:
            for backend in rule.backends:
                clusters[f"rule-{i}-{backend.app}"] = [backend.app]
    return clusters


def _ttl(persistence: SessionPersistence) -> str | None:
    if persistence.lifetime_type == "Permanent" and persistence.absolute_timeout is not None:
        return f"{duration_seconds(persistence.absolute_timeout):g}s"
    return None


def _stateful_session(route: Route, index: int, rule: RouteRule) -> dict[str, Any]:
    persistence = rule.session_persistence
    assert persistence is not None
    name = session_name(route, index, persistence)
    if persistence.type == "Header":
        state: dict[str, Any] = {
            "name": "envoy.http.stateful_session.header",
            "typed_config": {
                "@type": _T + "envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState",
                "name": name,
            },
        }
    else:
        cookie: dict[str, Any] = {"name": name, "path": rule.path}
        ttl = _ttl(persistence)
        if ttl is not None:
            cookie["ttl"] = ttl
        state = {
            "name": "envoy.http.stateful_session.cookie",
            "typed_config": {
                "@type": _T + "envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState",
                "cookie": cookie,
            },
        }
    return {"session_state": state}


def _hash_policy(route: Route, index: int, rule: RouteRule) -> list[dict[str, Any]]:
    persistence = rule.session_persistence
    assert persistence is not None
    name = session_name(route, index, persistence)
    if persistence.type == "Header":
        return [{"header": {"header_name": name}}]
    return [{"cookie": {"name": name, "path": rule.path, "ttl": _ttl(persistence) or "0s"}}]


def _route_entry(route: Route, index: int, rule: RouteRule, mode: EnvoyMode) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": f"rule-{index}", "match": {"prefix": rule.path}}
    if mode == "stateful-session":
        entry["route"] = {"cluster": f"rule-{index}"}
        if rule.session_persistence is not None:
            entry["typed_per_filter_config"] = {
                STATEFUL_SESSION: {
                    "@type": _T + "envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute",
                    "stateful_session": _stateful_session(route, index, rule),
                }
            }
        return entry
    if len(rule.backends) == 1:
        action: dict[str, Any] = {"cluster": f"rule-{index}-{rule.backends[0].app}"}
    else:
        action = {
            "weighted_clusters": {
                "clusters": [{"name": f"rule-{index}-{b.app}", "weight": b.weight} for b in rule.backends]
            }
        }
    if rule.session_persistence is not None:
        action["hash_policy"] = _hash_policy(route, index, rule)
    entry["route"] = action
    return entry


def _http_filters(route: Route, mode: EnvoyMode) -> list[dict[str, Any]]:
    """The connection manager's filters: a disabled stateful session filter (stateful-session mode, when a
    rule persists sessions; each route overrides it), then the router."""
    http_filters: list[dict[str, Any]] = []
    if mode == "stateful-session" and any(r.session_persistence for r in route.rules):
        first = next(i for i, r in enumerate(route.rules) if r.session_persistence is not None)
        http_filters.append(
            {
                "name": STATEFUL_SESSION,
                "typed_config": {
                    "@type": _T + "envoy.extensions.filters.http.stateful_session.v3.StatefulSession",
                    **_stateful_session(route, first, route.rules[first]),
                },
                "disabled": True,
            }
        )
    http_filters.append(
        {
            "name": "envoy.filters.http.router",
            "typed_config": {"@type": _T + "envoy.extensions.filters.http.router.v3.Router"},
        }
    )
    return http_filters


def _cluster(name: str, mode: EnvoyMode, eds_dir: Path) -> dict[str, Any]:
    """A cluster whose endpoints Envoy reads from ``eds_dir/<name>.json``."""
    cluster: dict[str, Any] = {
        "name": name,
        "type": "EDS",
        "connect_timeout": "1s",
        "eds_cluster_config": {
            "eds_config": {
                "path_config_source": {"path": str(eds_dir / f"{name}.json")},
                "resource_api_version": "V3",
            }
        },
    }
    if mode == "stateful-session":
        # Envoy Gateway's default load balancer is LeastRequest [api/v1alpha1/loadbalancer_types.go]
        cluster["lb_policy"] = "LEAST_REQUEST"
        cluster["common_lb_config"] = {"locality_weighted_lb_config": {}}
    else:
        cluster["lb_policy"] = "RING_HASH"
    return cluster


def _connection_manager(route: Route, mode: EnvoyMode) -> dict[str, Any]:
    """The HTTP connection manager: one virtual host with the route's rules, longest path first."""
    # longest path first, as Envoy Gateway orders prefix matches
    order = sorted(range(len(route.rules)), key=lambda i: -len(route.rules[i].path))
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": _HCM,
            "stat_prefix": "http",
            "route_config": {
                "name": route.name,
                "virtual_hosts": [
                    {
                        "name": route.name,
                        "domains": ["*"],
                        "routes": [_route_entry(route, i, route.rules[i], mode) for i in order],
                    }
                ],
            },
            "http_filters": _http_filters(route, mode),
        },
    }


def render_bootstrap(route: Route, mode: EnvoyMode, *, port: int, admin_port: int, eds_dir: Path) -> dict[str, Any]:
    """The Envoy bootstrap: one listener on ``port``, the route's rules, clusters fed from ``eds_dir``."""
    return {
        "node": {"id": f"pytest-sticky-{route.name}", "cluster": "pytest-sticky"},
        "admin": {"address": {"socket_address": {"address": LOOPBACK, "port_value": admin_port}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "http",
                    "address": {"socket_address": {"address": LOOPBACK, "port_value": port}},
                    "filter_chains": [{"filters": [_connection_manager(route, mode)]}],
                }
            ],
            "clusters": [_cluster(name, mode, eds_dir) for name in cluster_names(route, mode)],
        },
    }


def render_assignment(
    cluster: str, route: Route, mode: EnvoyMode, endpoints: dict[str, list[Endpoint]], version: int
) -> dict[str, Any]:
    """The EDS file of ``cluster``: a DiscoveryResponse with its ClusterLoadAssignment."""
    apps = cluster_names(route, mode)[cluster]
    rule = route.rules[int(cluster.split("-")[1])]  # clusters are named rule-<i>[-<app>]
    weights = {b.app: b.weight for b in rule.backends}
    localities = []
    for app in apps:
        locality: dict[str, Any] = {
            "locality": {"region": app},
            "lb_endpoints": [
                {"endpoint": {"address": {"socket_address": {"address": e.host, "port_value": e.port}}}}
                for e in endpoints.get(app, [])
            ],
        }
        if mode == "stateful-session":
            locality["load_balancing_weight"] = weights[app]
        localities.append(locality)
    return {
        "version_info": str(version),
        "resources": [
            {
                "@type": _T + "envoy.config.endpoint.v3.ClusterLoadAssignment",
                "cluster_name": cluster,
                "endpoints": localities,
            }
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1)
