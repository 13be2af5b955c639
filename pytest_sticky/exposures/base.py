"""The shape every way in shares: what an exposure is given (:class:`Target`) and returns (:class:`Exposed`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pytest_sticky.errors import SetupError
from pytest_sticky.waiting import WaitTimeout, wait_until

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.behaviours import AffinityBehaviour
    from pytest_sticky.gateway.route import Route
    from pytest_sticky.kube.connection import Kube
    from pytest_sticky.kube.ingress import IngressRoute


@dataclass(frozen=True)
class Exposed:
    """How the tests reach one app: everything a test and its report need to know about the way in."""

    url: str
    reached_via: str
    """For the run's header and report, e.g. ``Ingress hello (class nginx, host ...) at http://...``."""
    behaviour: AffinityBehaviour
    """The row of ``behaviours.BEHAVIOURS`` the app is judged by."""
    cookie_name: str | None = None
    """The affinity cookie's name (``None``: no cookie affinity on this way in)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (``Host`` for host-routed ingresses and Gateways)."""
    ingress: IngressRoute | None = None
    """The ingress controller in the path (its log tail joins the failure report)."""
    host: str = ""
    """The host name the way in routes by, where it has one (an OpenShift Route's admitted host)."""
    diagnose: Callable[[], dict[str, str]] | None = field(default=None, compare=False, repr=False)
    """Report sections that describe this way in when a test fails (the ingress controller's log,
    the HTTPRoute's and Gateway's conditions); read at that moment."""


@dataclass(frozen=True)
class Target:
    """Where an exposure works: one namespace of one cluster, and how to apply objects and describe it."""

    kube: Kube
    namespace: str
    timeout: float
    apply: Callable[[list[dict[str, Any]]], None]
    describe: Callable[[], str]


class Exposure(Protocol):
    """One way in. ``expose`` makes what the app needs (an Ingress, an HTTPRoute, nothing) and waits
    until one of the ``ready`` pods answers through it."""

    @property
    def ingress(self) -> IngressRoute | None:
        """The ingress controller apps are routed through (``None`` for other ways in)."""

    def expose(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed: ...


class RouteExposure(Exposure, Protocol):
    """A way in that routes several backends with one route (the Gateway API)."""

    def expose_route(self, target: Target, route: Route, ready: list[str]) -> Exposed: ...


def wait_routed(target: Target, base_url: str, host: str, ready: list[str], *, what: str, url: str = "") -> None:
    """Wait until ``GET url`` (default ``base_url``) with ``Host: host`` is answered by one of the ``ready``
    pods; if it never is, a SetupError that says who answered ``base_url`` and describes the namespace."""
    from pytest_sticky.kube.ingress import serving_pod

    url = url or base_url
    try:
        wait_until(
            lambda: serving_pod(url, host) in ready,
            what=what,
            timeout=target.timeout,
            interval=0.1,
            state=lambda: f"GET {base_url} (Host: {host}) answered by {serving_pod(base_url, host)}",
        )
    except WaitTimeout as exc:
        raise SetupError(f"{exc}\n{target.describe()}") from None
