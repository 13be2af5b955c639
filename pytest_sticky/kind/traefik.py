"""Traefik with its Kubernetes Ingress NGINX provider: ``fixtures/ingress/traefik.yaml``, applied and waited for.

The provider reads the ``nginx.ingress.kubernetes.io/*`` annotations (cookie affinity in
persistent mode only) and has no admission webhook: a Ready pod (its ``/ping`` readiness
probe) is enough before the first Ingress.
"""

from __future__ import annotations

from pathlib import Path

from pytest_sticky import progress
from pytest_sticky.fixture_files import fixtures_dir
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.install import apply_objects, deployment_exists, load_manifest, wait_pods_ready

NAMESPACE = "traefik"
DEPLOYMENT = "traefik"
SELECTOR = "app.kubernetes.io/name=traefik,app.kubernetes.io/component=controller"


def manifest_file() -> Path:
    return fixtures_dir() / "ingress" / "traefik.yaml"


def install(kube: Kube, *, manifest_path: str, timeout: float) -> str:
    """Install Traefik unless it runs already; wait until it is Ready. Return where it came from."""
    if deployment_exists(kube, NAMESPACE, DEPLOYMENT):
        origin = "already installed"
    else:
        path = Path(manifest_path) if manifest_path else manifest_file()
        origin = str(path)
        with progress.phase(f"installing Traefik from {path.name}"):
            apply_objects(kube, load_manifest(path))
    wait_pods_ready(kube, NAMESPACE, SELECTOR, what="the Traefik controller to be Ready", timeout=timeout)
    return origin
