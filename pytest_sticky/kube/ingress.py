"""Reaching the app through an ingress controller: one Ingress per app, routed by host.

Each app gets the host ``<app>.<namespace>.sticky.test``; the tests send it as the ``Host``
header to the controller's address, so no DNS is needed and apps do not share a path.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_sticky.behaviours import INGRESS_NGINX, AffinityBehaviour, ingress_behaviour
from pytest_sticky.cookies import find_cookie
from pytest_sticky.identify import identify_cookie

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
    product: str = INGRESS_NGINX
    """``ingress-nginx`` or ``traefik``: with ``version`` and ``affinity_mode``, picks the row of
    ``behaviours.BEHAVIOURS`` the expectations come from."""
    cookie_name: str = "INGRESSCOOKIE"
    affinity_mode: str = "balanced"
    controller_namespace: str | None = None
    """Where the controller's pods run, for their log tails in failure reports."""
    controller_selector: str | None = None
    version: str = ""
    """The controller's release line (``1.15``, ``3.7``), "" when unknown (the table's newest row is used)."""
    https_url: str = ""
    """The controller's HTTPS address, "" when the tests cannot reach one."""
    identified_by: str = "configured"
    """How the implementation is known: ``configured`` (the options or the installer) or the evidence."""

    @property
    def behaviour(self) -> AffinityBehaviour:
        return ingress_behaviour(self.product, version=self.version, mode=self.affinity_mode)

    @property
    def implementation(self) -> str:
        """Key of the row in ``behaviours.BEHAVIOURS`` the expectations come from."""
        return self.behaviour.implementation

    def expectations(self) -> str:
        """For the run header and report: which implementation and version the expectations came from."""
        version = "" if self.version else " (version unknown: the newest row)"
        return f"expectations of {self.behaviour.label}{version}; implementation {self.identified_by}"

    def host(self, app: str, namespace: str) -> str:
        return f"{app}.{namespace}.{HOST_SUFFIX}"


def _get(base_url: str, host: str, timeout: float) -> http.client.HTTPResponse | None:
    """``GET /`` with ``Host: host`` at the controller (body read), or None when nothing answered."""
    parts = urlsplit(base_url)
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = conn_type(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            conn.request("GET", parts.path or "/", headers={"Host": host})
            response = conn.getresponse()
            response.read()
            return response
        finally:
            conn.close()
    except OSError:
        return None


def serving_pod(base_url: str, host: str, timeout: float = 2.0) -> str | None:
    """The pod that answers ``GET <base_url's path>`` for ``host`` at the controller, or None."""
    response = _get(base_url, host, timeout)
    return response.getheader("X-Pod-Name") if response is not None and response.status == 200 else None


def affinity_cookie_value(base_url: str, host: str, cookie_name: str, timeout: float = 2.0) -> str | None:
    """The value of the affinity cookie a fresh client gets from the controller, or None."""
    response = _get(base_url, host, timeout)
    if response is None:
        return None
    cookie = find_cookie(response.headers.get_all("Set-Cookie") or [], cookie_name)
    return cookie.value if cookie is not None else None


def first_set_cookies(base_url: str, host: str, *, user_agent: str = "pytest-sticky") -> tuple[int, list[str]]:
    """Status and Set-Cookie headers of one cookie-less ``GET /`` with ``Host: host``. Over HTTPS the
    TLS server name is ``host`` too and any certificate is accepted (a controller's default one is
    self-signed): what a browser sends, without the trust decision, which is not what is tested."""
    import warnings

    import urllib3

    parts = urlsplit(base_url)
    address = parts.hostname or "127.0.0.1"
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, parts.port, server_hostname=host, cert_reqs="CERT_NONE", assert_hostname=False
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, parts.port)
    with pool, warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        response = pool.request(
            "GET", "/", headers={"Host": host, "User-Agent": user_agent}, retries=False, timeout=10.0
        )
    return response.status, list(response.headers.getlist("Set-Cookie"))


def identified(route: IngressRoute, host: str, cookie_name: str) -> IngressRoute:
    """``route`` with the implementation its affinity cookie shows (unchanged when the cookie shows none).

    When the cookie names another product than the one configured, the version is unknown
    (the configured one was the other product's) and the run says so."""
    value = affinity_cookie_value(route.base_url, host, cookie_name)
    found = identify_cookie(value) if value is not None else None
    if found is None:
        return route
    if found.product == route.product:
        return replace(route, identified_by=f"confirmed: {found.describe()}")
    return replace(
        route, product=found.product, version="", identified_by=f"not the one configured: {found.describe()}"
    )


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
