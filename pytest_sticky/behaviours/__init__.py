"""What each affinity implementation does, in one table keyed by implementation and version.

The e2e suite asserts against this table instead of hard-coding one proxy's behaviour, so the
same tests hold on HAProxy, Caddy, ingress-nginx, Traefik, the OpenShift router and kube-proxy.
Every row names the tag its sources were read at (``read_at``), and every cell that a test
asserts names the upstream file and line (or document) it comes from (``sources``; the key is
the field's name). Rows were checked against upstream in 2026-12; see each row's ``read_at``.

Tests take their *expectations* from here, but spell upstream *names* (annotations, flags,
cookie names) as literals of their own, so that a typo made consistently in this table and in
the manifests still fails a test.
"""

from __future__ import annotations

import re

from pytest_sticky.behaviours.envoy_rows import (
    ENVOY_GATEWAY_SOURCE,
    ENVOY_RING_HASH_MEMBERSHIP,
    ENVOY_RING_HASH_SOURCE,
    ENVOY_ROWS,
    SESSION_PERSISTENCE_ROWS,
)
from pytest_sticky.behaviours.ingress_rows import (
    INGRESS_NGINX_115_ANNOTATIONS,
    INGRESS_NGINX_COOKIE_VALUE,
    INGRESS_ROWS,
    NGINX_115,
    TRAEFIK_36,
    TRAEFIK_36_ANNOTATIONS,
    TRAEFIK_37,
    TRAEFIK_37_ANNOTATIONS,
    TRAEFIK_COOKIE_VALUE,
)
from pytest_sticky.behaviours.model import (
    INGRESS_NGINX,
    TRAEFIK,
    AffinityBehaviour,
    AfterDeletion,
    Expires,
    SessionPersistenceBehaviour,
)
from pytest_sticky.behaviours.proxy_rows import CADDY, HAPROXY, OPENSHIFT_ROUTE, SERVICE_CLIENTIP

__all__ = [
    "BEHAVIOURS",
    "ENVOY_GATEWAY_SOURCE",
    "ENVOY_RING_HASH_MEMBERSHIP",
    "ENVOY_RING_HASH_SOURCE",
    "INGRESS_NGINX",
    "INGRESS_NGINX_115_ANNOTATIONS",
    "INGRESS_NGINX_COOKIE_VALUE",
    "INGRESS_VERSIONS",
    "NGINX_115",
    "SESSION_PERSISTENCE",
    "TRAEFIK",
    "TRAEFIK_36",
    "TRAEFIK_36_ANNOTATIONS",
    "TRAEFIK_37",
    "TRAEFIK_37_ANNOTATIONS",
    "TRAEFIK_COOKIE_VALUE",
    "AffinityBehaviour",
    "AfterDeletion",
    "Expires",
    "SessionPersistenceBehaviour",
    "ingress_behaviour",
    "release_line",
]

BEHAVIOURS: dict[str, AffinityBehaviour] = {
    b.implementation: b for b in (HAPROXY, CADDY, *INGRESS_ROWS, OPENSHIFT_ROUTE, SERVICE_CLIENTIP, *ENVOY_ROWS)
}

INGRESS_VERSIONS: dict[str, tuple[str, ...]] = {INGRESS_NGINX: ("1.15",), TRAEFIK: ("3.6", "3.7")}
"""The versions the table has rows for, oldest first; the last is what pytest-sticky installs on kind."""


def ingress_behaviour(product: str, *, version: str = "", mode: str = "balanced") -> AffinityBehaviour:
    """The row for an Ingress controller: ``product`` ingress-nginx or traefik, ``version`` a release line
    (default: the newest the table knows), ``mode`` the Ingress's affinity-mode (ingress-nginx only)."""
    versions = INGRESS_VERSIONS[product]
    chosen = version if version in versions else versions[-1]
    if product == INGRESS_NGINX:
        return BEHAVIOURS[f"ingress-nginx-{chosen}-{mode}"]
    return BEHAVIOURS[f"traefik-{chosen}"]


def release_line(image_or_version: str) -> str:
    """``traefik:v3.7.9`` or ``v1.15.1@sha256:...`` -> ``3.7`` / ``1.15`` ("" when there is no version)."""
    found = re.search(r"v?(\d+)\.(\d+)(?:\.\d+)?", image_or_version.rsplit("@", 1)[0].rsplit(":", 1)[-1])
    return f"{found.group(1)}.{found.group(2)}" if found else ""


SESSION_PERSISTENCE: dict[str, SessionPersistenceBehaviour] = {b.implementation: b for b in SESSION_PERSISTENCE_ROWS}
