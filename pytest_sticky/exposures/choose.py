"""Which way in a cluster the run did not install itself offers (``existing``): chosen from the settings.

``kind`` chooses by what it installs (:mod:`pytest_sticky.kind.ingress`); OpenShift always uses Routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.exposures.base import Exposure

if TYPE_CHECKING:
    from pytest_sticky.kube.connection import Kube
    from pytest_sticky.kube.ingress import IngressRoute
    from pytest_sticky.options import StickyConfig


def configured_ingress(config: StickyConfig) -> IngressRoute | None:
    """The ingress controller named by ``--sticky-ingress`` (with its class and URL); None for none/gateway."""
    from pytest_sticky.kube.ingress import IngressRoute

    if config.ingress in ("none", "gateway"):
        return None
    if config.ingress == "traefik":
        # Traefik's Kubernetes Ingress NGINX provider reads the nginx annotations, persistent mode only.
        return IngressRoute(
            ingress_class=config.ingress_class or "nginx",
            base_url=config.ingress_url,
            product="traefik",
            affinity_mode="persistent",
        )
    return IngressRoute(
        ingress_class=config.ingress_class or "nginx",
        base_url=config.ingress_url,
        product="ingress-nginx",
        affinity_mode=config.affinity_mode,
    )


def existing_exposure(config: StickyConfig, kube: Kube) -> Exposure:
    """``--sticky-ingress=gateway``: the Gateway named or found; nginx/traefik: that controller;
    without ``--sticky-ingress``: the cluster's own IngressClass if its controller answers; else the Service."""
    from pytest_sticky.exposures.discovered import discover
    from pytest_sticky.exposures.gateway import GatewayExposure
    from pytest_sticky.exposures.ingress import IngressExposure
    from pytest_sticky.exposures.service import ServiceExposure

    if config.ingress == "gateway":
        from pytest_sticky.kube.gateway import find_gateway

        return GatewayExposure(find_gateway(kube, config.ingress_url))
    route = configured_ingress(config)
    if route is not None:
        return IngressExposure(route)
    if "sticky_ingress" not in config.explicit:
        return discover(kube, config.affinity_mode)
    return ServiceExposure("no ingress")
