"""The ingress controller of a kind cluster: which one, installing it, and the route to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.behaviours import INGRESS_NGINX, TRAEFIK, release_line
from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress_nginx, traefik
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.ingress import IngressRoute
from pytest_sticky.kube.install import deployment_exists

if TYPE_CHECKING:
    from pytest_sticky.exposures.base import Exposure
    from pytest_sticky.options import StickyConfig

INGRESS_CLASS = "nginx"
"""The class both controllers serve (controller ``k8s.io/ingress-nginx``)."""

CONTROLLERS = {
    "nginx": ("ingress-nginx", ingress_nginx.NAMESPACE, ingress_nginx.DEPLOYMENT),
    "traefik": ("Traefik", traefik.NAMESPACE, traefik.DEPLOYMENT),
    "gateway": ("Envoy Gateway", "envoy-gateway-system", "envoy-gateway"),
}


def route(
    ingress: str, *, http_port: int, affinity_mode: str, https_port: int | None = None, version: str = ""
) -> IngressRoute:
    """How the tests reach the controller: the host ports kind maps to the node's ports 80 and 443."""
    product, namespace, selector = (
        (TRAEFIK, traefik.NAMESPACE, traefik.SELECTOR)
        if ingress == "traefik"
        else (INGRESS_NGINX, ingress_nginx.NAMESPACE, ingress_nginx.CONTROLLER_SELECTOR)
    )
    return IngressRoute(
        ingress_class=INGRESS_CLASS,
        base_url=f"http://127.0.0.1:{http_port}/",
        product=product,
        # Traefik's NGINX provider implements cookie affinity in persistent mode only.
        affinity_mode="persistent" if ingress == "traefik" else affinity_mode,
        controller_namespace=namespace,
        controller_selector=selector,
        version=version,
        https_url=f"https://127.0.0.1:{https_port}/" if https_port else "",
    )


def running_version(kube: Kube, ingress: str) -> str:
    """The release line of the controller's image (``3.7`` for ``traefik:v3.7.9``), "" when unknown."""
    _, namespace, deployment = CONTROLLERS[ingress]
    try:
        found = kube.apps.read_namespaced_deployment(deployment, namespace)
        return release_line(found.spec.template.spec.containers[0].image)
    except Exception:  # noqa: BLE001 (no version: the table's newest row is used, and the header says so)
        return ""


def check_no_other_controller(kube: Kube, ingress: str, cluster: str) -> None:
    """Both controllers hold the node's port 80: a cluster kept with one cannot get the other."""
    for other, (label, namespace, deployment) in CONTROLLERS.items():
        if other != ingress and deployment_exists(kube, namespace, deployment):
            raise SetupError(
                f"kind cluster {cluster} already runs {label} (Deployment {namespace}/{deployment}, from an earlier "
                f"run), which holds the node's port 80, so --sticky-ingress={ingress} cannot be installed beside it. "
                f"Delete the cluster (kind delete cluster --name {cluster}), or use another --sticky-cluster-name"
            )


def install_exposure(
    kube: Kube, config: StickyConfig, *, cluster: str, http_port: int, https_port: int | None, timeout: float
) -> tuple[Exposure, str]:
    """Install ``--sticky-ingress``'s controller or Gateway (unless it runs already) and wait for it;
    the way the apps are reached through it, and where it came from (for the run header)."""
    if config.ingress == "gateway":
        from pytest_sticky.exposures.gateway import GatewayExposure
        from pytest_sticky.kind import envoy_gateway

        check_no_other_controller(kube, "gateway", cluster)
        gateway, origin = envoy_gateway.install(
            kube, manifest_path=config.ingress_manifest, http_port=http_port, timeout=timeout
        )
        return GatewayExposure(gateway), origin
    from pytest_sticky.exposures.ingress import IngressExposure

    origin = install(kube, config.ingress, cluster=cluster, manifest_path=config.ingress_manifest, timeout=timeout)
    controller = route(
        config.ingress,
        http_port=http_port,
        https_port=https_port,
        affinity_mode=config.affinity_mode,
        version=running_version(kube, config.ingress),
    )
    return IngressExposure(controller), origin


def install(kube: Kube, ingress: str, *, cluster: str, manifest_path: str, timeout: float) -> str:
    """Install the controller (unless it runs already) and wait until it can take Ingresses."""
    check_no_other_controller(kube, ingress, cluster)
    if ingress == "traefik":
        return traefik.install(kube, manifest_path=manifest_path, timeout=timeout)
    return ingress_nginx.install(kube, manifest_path=manifest_path, timeout=timeout)
