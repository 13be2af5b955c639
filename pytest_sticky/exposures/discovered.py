"""An existing cluster's own IngressClass, used when its controller answers; else the Service, saying why."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_sticky.exposures.base import Exposed, Exposure, Target
from pytest_sticky.exposures.ingress import create_ingress, ingress_exposed
from pytest_sticky.exposures.service import ServiceExposure
from pytest_sticky.waiting import WaitTimeout, wait_until

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.kube.connection import Kube
    from pytest_sticky.kube.ingress import DiscoveredClass, IngressRoute

DISCOVERY_WAIT_S = 30.0
"""How long a discovered ingress controller gets to publish an address and answer."""


def discover(kube: Kube, affinity_mode: str) -> Exposure:
    """The cluster's default (or only) IngressClass as a way in, else its Service with the reason."""
    from pytest_sticky.kube.ingress import DiscoveredClass, discover_class

    found = discover_class(kube)
    if isinstance(found, DiscoveredClass):
        return DiscoveredIngressExposure(found, affinity_mode)
    return ServiceExposure(found.reason)


class DiscoveredIngressExposure:
    """Each app gets an Ingress of the discovered class; it is used if the address the controller
    publishes for it answers from here, else the app stays on its Service and the run says why."""

    def __init__(self, found: DiscoveredClass, affinity_mode: str) -> None:
        self.found = found
        self.affinity_mode = affinity_mode

    @property
    def ingress(self) -> IngressRoute | None:
        return None  # known per app, once its Ingress answered

    def expose(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed:
        reached = self._try(target, app_name, spec, ready)
        if isinstance(reached, Exposed):
            return reached
        return ServiceExposure(reached).expose(target, app_name, spec, ready)

    def _try(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed | str:
        """The app through its Ingress, or why not."""
        from pytest_sticky.kube.ingress import NGINX_CONTROLLER, IngressRoute, published_address, serving_pod

        cls = self.found
        if cls.controller != NGINX_CONTROLLER:
            return (
                f"IngressClass {cls.name} (controller {cls.controller}) is not one pytest-sticky knows: "
                "name the controller with --sticky-ingress and --sticky-ingress-url"
            )
        probe = IngressRoute(ingress_class=cls.name, base_url="", affinity_mode=self.affinity_mode)
        host, annotations = create_ingress(target, app_name, probe, spec)
        wait_s = min(target.timeout, DISCOVERY_WAIT_S)
        address = published_address(target.kube, target.namespace, app_name, wait_s)
        if address is None:
            return (
                f"an Ingress of class {cls.name} was created, but no address was published for it within {wait_s:g} s"
            )
        route = replace(probe, base_url=f"http://{address}/")
        try:
            wait_until(
                lambda: serving_pod(route.base_url, host) in ready,
                what=f"Ingress {app_name} at {route.base_url} to answer",
                timeout=wait_s,
                interval=0.1,
            )
        except WaitTimeout:
            return f"an Ingress of class {cls.name} was created, but its address {address} did not answer from here"
        exposed, _ = ingress_exposed(target, app_name, route, host, annotations, spec)
        return exposed
