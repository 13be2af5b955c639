"""Reaching the app through an ingress controller: one Ingress per app, routed by host.

Each app gets the host ``<app>.<namespace>.sticky.test``; the tests send it as the ``Host``
header to the controller's address, so no DNS is needed and apps do not share a path.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_sticky.behaviours import BEHAVIOURS, AffinityBehaviour

if TYPE_CHECKING:
    from pytest_sticky.kube.connection import Kube

HOST_SUFFIX = "sticky.test"
NGINX_CONTROLLER = "k8s.io/ingress-nginx"
"""``spec.controller`` of ingress-nginx's IngressClass (Traefik's NGINX provider serves it too)."""
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class IngressRoute:
    ingress_class: str
    base_url: str
    """Where the controller listens, as seen from the tests, e.g. ``http://127.0.0.1:8080/``."""
    implementation: str
    """Key of the controller's row in ``behaviours.BEHAVIOURS``."""
    cookie_name: str = "INGRESSCOOKIE"
    affinity_mode: str = "balanced"
    controller_namespace: str | None = None
    """Where the controller's pods run, for their log tails in failure reports."""
    controller_selector: str | None = None

    @property
    def behaviour(self) -> AffinityBehaviour:
        return BEHAVIOURS[self.implementation]

    def host(self, app: str, namespace: str) -> str:
        return f"{app}.{namespace}.{HOST_SUFFIX}"


def serving_pod(base_url: str, host: str, timeout: float = 2.0) -> str | None:
    """The pod that answers ``GET /`` for ``host`` at the controller, or None."""
    parts = urlsplit(base_url)
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = conn_type(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            conn.request("GET", "/", headers={"Host": host})
            response = conn.getresponse()
            response.read()
            return response.getheader("X-Pod-Name") if response.status == 200 else None
        finally:
            conn.close()
    except OSError:
        return None


@dataclass(frozen=True)
class DiscoveredClass:
    name: str
    controller: str


@dataclass(frozen=True)
class NoClass:
    """Why no IngressClass was chosen (said in the run's "reached via")."""

    reason: str


def discover_class(kube: Kube) -> DiscoveredClass | NoClass:
    """The cluster's default IngressClass, or its only one; else why none is used.

    Several classes marked default is ambiguous (Kubernetes' admission then refuses Ingresses
    that name no class): pytest-sticky does not guess among them.
    """
    try:
        classes = kube.networking.list_ingress_class().items
    except Exception:  # noqa: BLE001 (no permission to list them: behave as if there were none)
        return NoClass("no ingress (the IngressClasses cannot be listed)")
    default = [c for c in classes if (c.metadata.annotations or {}).get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true"]
    if len(default) > 1:
        names = ", ".join(sorted(c.metadata.name for c in default))
        return NoClass(
            f"no ingress: IngressClasses {names} are all marked default, and pytest-sticky does not guess; name "
            "one with --sticky-ingress=nginx|traefik --sticky-ingress-class=NAME --sticky-ingress-url=URL"
        )
    chosen = default or (classes if len(classes) == 1 else [])
    if not chosen:
        return NoClass("no ingress")
    return DiscoveredClass(chosen[0].metadata.name, chosen[0].spec.controller)


def published_address(kube: Kube, namespace: str, name: str, timeout: float) -> str | None:
    """The address the controller publishes in the Ingress's status (watched), or None in time."""
    from pytest_sticky.kube.waits import watch_until
    from pytest_sticky.waiting import WaitTimeout

    def address(ingresses: dict[str, Any]) -> str | None:
        ingress = ingresses.get(name)
        balancer = ingress.status.load_balancer if ingress is not None and ingress.status else None
        for entry in (balancer.ingress or []) if balancer else []:
            if entry.ip or entry.hostname:
                return str(entry.ip or entry.hostname)
        return None

    try:
        found: str = watch_until(
            kube.networking.list_namespaced_ingress,
            address,
            what=f"the ingress controller to publish an address for Ingress {namespace}/{name}",
            timeout=timeout,
            describe=lambda: "",
            namespace=namespace,
            field_selector=f"metadata.name={name}",
        )
    except WaitTimeout:
        return None
    return found
