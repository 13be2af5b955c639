"""An Ingress of a known controller (ingress-nginx, or Traefik's Kubernetes Ingress NGINX provider).

The app gets an Ingress with the ``nginx.ingress.kubernetes.io/*`` affinity annotations, routed by
host; the expectations come from the implementation its affinity cookie shows, not from the
IngressClass's controller string (:func:`pytest_sticky.kube.ingress.identified`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_sticky.exposures.base import Exposed, Target, wait_routed

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.kube.ingress import IngressRoute


def create_ingress(target: Target, app_name: str, route: IngressRoute, spec: AppSpec) -> tuple[str, dict[str, str]]:
    """Apply the app's Ingress of ``route``'s class; its host and annotations."""
    from pytest_sticky.kube import manifests

    host = route.host(app_name, target.namespace)
    objects = manifests.ingress_objects(
        name=app_name,
        host=host,
        ingress_class=route.ingress_class,
        cookie_name=route.cookie_name,
        affinity_mode=route.affinity_mode,
        affinity=spec.affinity,
        annotations=spec.ingress_annotations,
    )
    target.apply(objects)
    annotations: dict[str, str] = objects[0]["metadata"]["annotations"]
    return host, annotations


def ingress_exposed(
    target: Target, app_name: str, route: IngressRoute, host: str, annotations: dict[str, str], spec: AppSpec
) -> tuple[Exposed, IngressRoute]:
    """The app as reached through its Ingress, and ``route`` as its cookie identified it."""
    from pytest_sticky.kube import manifests
    from pytest_sticky.kube.diagnostics import controller_sections
    from pytest_sticky.kube.ingress import identified

    cookie_name = annotations.get(f"{manifests.NGINX_ANNOTATION}session-cookie-name", "INGRESSCOOKIE")
    if spec.affinity:  # what answers decides the expectations, not the IngressClass's controller string
        route = identified(route, host, cookie_name)
    mode = annotations.get(f"{manifests.NGINX_ANNOTATION}affinity-mode", route.affinity_mode)
    judged = replace(route, affinity_mode=mode)
    exposed = Exposed(
        url=route.base_url,
        reached_via=(
            f"Ingress {app_name} (class {route.ingress_class}, host {host}) at {route.base_url}; "
            f"{judged.expectations()}"
        ),
        behaviour=judged.behaviour,
        cookie_name=cookie_name if spec.affinity else None,
        headers={"Host": host},
        ingress=route,
        diagnose=lambda: controller_sections(target.kube.core, route),
    )
    return exposed, route


class IngressExposure:
    """Every app through an Ingress of ``route``'s class, at the controller's ``route.base_url``."""

    def __init__(self, route: IngressRoute) -> None:
        self.route = route

    @property
    def ingress(self) -> IngressRoute:
        """The controller, with the implementation its cookie showed once an app was reached."""
        return self.route

    def expose(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed:
        host, annotations = create_ingress(target, app_name, self.route, spec)
        wait_routed(
            target,
            self.route.base_url,
            host,
            ready,
            what=f"ingress class {self.route.ingress_class} to route {host} to {app_name}",
        )
        exposed, seen = ingress_exposed(target, app_name, self.route, host, annotations, spec)
        if seen.product != self.route.product:
            self.route = replace(self.route, product=seen.product, identified_by=seen.identified_by)
        return exposed
