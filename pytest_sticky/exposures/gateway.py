"""A Gateway API HTTPRoute with ``sessionPersistence`` on a Gateway (Envoy Gateway on kind, or one found)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.exposures.base import Exposed, Target, wait_routed

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.gateway.route import Route
    from pytest_sticky.kube.gateway import GatewayRef
    from pytest_sticky.kube.ingress import IngressRoute


class GatewayExposure:
    """Every app (or route of several backends) through an HTTPRoute attached to ``gateway``."""

    def __init__(self, gateway: GatewayRef) -> None:
        self.gateway = gateway

    @property
    def ingress(self) -> IngressRoute | None:
        return None

    def expose(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed:
        from pytest_sticky.gateway.route import single_rule

        return self.expose_route(target, single_rule(app_name, spec.replicas), ready)

    def expose_route(self, target: Target, route: Route, ready: list[str]) -> Exposed:
        from pytest_sticky.kube.gateway import expose, route_sections

        gateway = self.gateway
        host = expose(target.kube, route, namespace=target.namespace, gateway=gateway, timeout=target.timeout)
        path = route.rules[0].path
        wait_routed(
            target,
            gateway.base_url,
            host,
            ready,
            what=f"Gateway {gateway.namespace}/{gateway.name} to route {host}{path} to {route.name}",
            url=gateway.base_url.rstrip("/") + path,
        )
        persistence = route.rules[0].session_persistence
        cookie_name = None
        if persistence is not None and persistence.type == "Cookie":
            cookie_name = persistence.session_name or f"httproute-{target.namespace}-{route.name}-rule-0"
        return Exposed(
            url=gateway.base_url,
            reached_via=(
                f"HTTPRoute {route.name} (Gateway {gateway.namespace}/{gateway.name}, host {host}) "
                f"at {gateway.base_url}"
            ),
            behaviour=BEHAVIOURS[gateway.implementation],
            cookie_name=cookie_name,
            headers={"Host": host},
            diagnose=lambda: route_sections(target.kube, target.namespace, route.name, gateway),
        )
