"""The ingress controller of a kind cluster: which one, installing it, and the route to it."""

from __future__ import annotations

from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress_nginx, traefik
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.ingress import IngressRoute
from pytest_sticky.kube.install import deployment_exists

INGRESS_CLASS = "nginx"
"""The class both controllers serve (controller ``k8s.io/ingress-nginx``)."""

CONTROLLERS = {
    "nginx": ("ingress-nginx", ingress_nginx.NAMESPACE, ingress_nginx.DEPLOYMENT),
    "traefik": ("Traefik", traefik.NAMESPACE, traefik.DEPLOYMENT),
    "gateway": ("Envoy Gateway", "envoy-gateway-system", "envoy-gateway"),
}


def route(ingress: str, *, http_port: int, affinity_mode: str) -> IngressRoute:
    """How the tests reach the controller: the host port kind maps to the node's port 80."""
    base_url = f"http://127.0.0.1:{http_port}/"
    if ingress == "traefik":
        # Traefik's NGINX provider implements cookie affinity in persistent mode only.
        return IngressRoute(
            ingress_class=INGRESS_CLASS,
            base_url=base_url,
            implementation="traefik-nginx-provider",
            affinity_mode="persistent",
            controller_namespace=traefik.NAMESPACE,
            controller_selector=traefik.SELECTOR,
        )
    return IngressRoute(
        ingress_class=INGRESS_CLASS,
        base_url=base_url,
        implementation=f"ingress-nginx-{affinity_mode}",
        affinity_mode=affinity_mode,
        controller_namespace=ingress_nginx.NAMESPACE,
        controller_selector=ingress_nginx.CONTROLLER_SELECTOR,
    )


def check_no_other_controller(kube: Kube, ingress: str, cluster: str) -> None:
    """Both controllers hold the node's port 80: a cluster kept with one cannot get the other."""
    for other, (label, namespace, deployment) in CONTROLLERS.items():
        if other != ingress and deployment_exists(kube, namespace, deployment):
            raise SetupError(
                f"kind cluster {cluster} already runs {label} (Deployment {namespace}/{deployment}, from an earlier "
                f"run), which holds the node's port 80, so --sticky-ingress={ingress} cannot be installed beside it. "
                f"Delete the cluster (kind delete cluster --name {cluster}), or use another --sticky-cluster-name"
            )


def install(kube: Kube, ingress: str, *, cluster: str, manifest_path: str, timeout: float) -> str:
    """Install the controller (unless it runs already) and wait until it can take Ingresses."""
    check_no_other_controller(kube, ingress, cluster)
    if ingress == "traefik":
        return traefik.install(kube, manifest_path=manifest_path, timeout=timeout)
    return ingress_nginx.install(kube, manifest_path=manifest_path, timeout=timeout)
