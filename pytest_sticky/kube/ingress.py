"""Reaching the app through an ingress controller: one Ingress per app, routed by host.

Each app gets the host ``<app>.<namespace>.sticky.test``; the tests send it as the ``Host``
header to the controller's address, so no DNS is needed and apps do not share a path.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_sticky.behaviours import BEHAVIOURS, AffinityBehaviour

HOST_SUFFIX = "sticky.test"


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
