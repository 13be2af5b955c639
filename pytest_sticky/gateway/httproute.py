"""Gateway API objects for a :class:`~pytest_sticky.gateway.route.Route`: HTTPRoute, Gateway, GatewayClass.

``sessionPersistence`` comes in the shape the cluster's CRD serves:

- ``"v1.6"`` (Gateway API v1.6.x experimental, the pinned CRD): ``sessionName``,
  ``absoluteTimeout``, ``type``, ``cookieConfig.lifetimeType``
  [kubernetes-sigs/gateway-api v1.6.1 config/crd/experimental/gateway.networking.k8s.io_httproutes.yaml];
- ``"union"`` (gateway-api main after v1.6.1, PRs #4873/#5046): ``type`` discriminates
  ``cookie{name, path, lifetimeType}`` and ``header{name}``; ``absoluteTimeout`` stays
  [kubernetes-sigs/gateway-api main 4564255 apis/v1/shared_types.go:929 SessionPersistence,
  :987 CookieConfig (path defaults to "/", not the route's path), HeaderConfig]. Here the cookie
  ``path`` is written out as the rule's path match, so both shapes mean the same.
"""

from __future__ import annotations

from typing import Any, Literal

from pytest_sticky.gateway.route import Route, RouteRule, SessionPersistence

Schema = Literal["v1.6", "union"]
GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_CLASS = "pytest-sticky"
GATEWAY_NAME = "pytest-sticky"
ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
"""spec.controllerName Envoy Gateway serves [envoyproxy/gateway v1.9.0 charts/gateway-helm values: controllerName]."""
MANAGED_BY = {"app.kubernetes.io/managed-by": "pytest-sticky"}


def session_persistence(persistence: SessionPersistence, rule: RouteRule, schema: Schema) -> dict[str, Any]:
    rendered: dict[str, Any] = {"type": persistence.type}
    if persistence.absolute_timeout is not None:
        rendered["absoluteTimeout"] = persistence.absolute_timeout
    if schema == "v1.6":
        if persistence.session_name is not None:
            rendered["sessionName"] = persistence.session_name
        if persistence.type == "Cookie":
            rendered["cookieConfig"] = {"lifetimeType": persistence.lifetime_type}
        return rendered
    if persistence.type == "Cookie":
        cookie: dict[str, Any] = {"path": rule.path, "lifetimeType": persistence.lifetime_type}
        if persistence.session_name is not None:
            cookie["name"] = persistence.session_name
        rendered["cookie"] = cookie
    else:
        if persistence.session_name is None:
            raise ValueError("header-based persistence in the union schema needs a header name (session_name)")
        rendered["header"] = {"name": persistence.session_name}
    return rendered


def httproute(
    route: Route,
    *,
    namespace: str,
    hostname: str,
    schema: Schema = "v1.6",
    gateway: str = GATEWAY_NAME,
    gateway_namespace: str | None = None,
    port: int = 80,
) -> dict[str, Any]:
    """The HTTPRoute: one rule per route rule (a PathPrefix match), weighted backendRefs to the apps' Services."""
    parent: dict[str, Any] = {"name": gateway}
    if gateway_namespace and gateway_namespace != namespace:
        parent["namespace"] = gateway_namespace
    rules = []
    for rule in route.rules:
        rendered: dict[str, Any] = {
            "matches": [{"path": {"type": "PathPrefix", "value": rule.path}}],
            "backendRefs": [{"name": b.app, "port": port, "weight": b.weight} for b in rule.backends],
        }
        if rule.session_persistence is not None:
            rendered["sessionPersistence"] = session_persistence(rule.session_persistence, rule, schema)
        rules.append(rendered)
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": {"name": route.name, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {"parentRefs": [parent], "hostnames": [hostname], "rules": rules},
    }


def gateway_class(name: str = GATEWAY_CLASS) -> dict[str, Any]:
    return {
        "apiVersion": GATEWAY_API,
        "kind": "GatewayClass",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": {"controllerName": ENVOY_GATEWAY_CONTROLLER},
    }


def gateway(namespace: str, *, name: str = GATEWAY_NAME, gateway_class_name: str = GATEWAY_CLASS) -> dict[str, Any]:
    """A Gateway with one HTTP listener on port 80 that takes routes from every namespace."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {
            "gatewayClassName": gateway_class_name,
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
            ],
        },
    }


def served_schema(crd: dict[str, Any]) -> Schema:
    """Which sessionPersistence shape an HTTPRoute CRD serves (its storage version's schema)."""
    versions = [v for v in crd["spec"]["versions"] if v.get("served")]
    version = next((v for v in versions if v.get("name") == "v1"), versions[0] if versions else None)
    if version is None:
        raise ValueError("the HTTPRoute CRD serves no version")
    rules = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["rules"]["items"]
    persistence = rules["properties"].get("sessionPersistence")
    if persistence is None:
        raise ValueError(
            "the HTTPRoute CRD has no sessionPersistence: it is the standard channel; install the experimental one"
        )
    return "union" if "cookie" in persistence["properties"] else "v1.6"
