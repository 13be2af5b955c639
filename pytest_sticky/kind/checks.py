"""The kind provider's own check (``PROVIDERS["kind"].check``): settings a kind cluster cannot honour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress

if TYPE_CHECKING:
    from pytest_sticky.options import StickyConfig


def check_options(config: StickyConfig) -> None:
    """Settings that cannot work with a kind cluster: an error that says why, before anything starts."""
    given = config.explicit
    for name, option in (
        ("sticky_ingress_url", "--sticky-ingress-url"),
        ("sticky_kubeconfig", "--sticky-kubeconfig"),
        ("sticky_context", "--sticky-context"),
    ):
        if name in given:
            raise SetupError(
                f"{option} does not apply to --sticky-cluster=kind: the kind provider writes its own kubeconfig "
                "(context kind-<name>) and maps host ports to the ingress controller; use --sticky-cluster=existing "
                "to point at a cluster yourself"
            )
    if config.ingress_class not in ("", ingress.INGRESS_CLASS):
        raise SetupError(
            f"--sticky-ingress-class={config.ingress_class}: the controllers pytest-sticky installs on kind serve "
            f"the class {ingress.INGRESS_CLASS!r} only"
        )
    if config.ingress == "traefik" and config.affinity_mode == "balanced" and "sticky_affinity_mode" in given:
        raise SetupError(
            "--sticky-affinity-mode=balanced: Traefik's Kubernetes Ingress NGINX provider implements cookie affinity "
            "in persistent mode only; drop the option or use --sticky-ingress=nginx"
        )
