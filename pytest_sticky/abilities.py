"""What a test may need of a cluster or an app beyond ``StickyCluster``/``StickyApp``.

Each optional ability is a runtime-checkable protocol: a fixture checks the run's cluster (or
app) with ``isinstance`` and skips, as :mod:`pytest_sticky.capabilities` says, when it lacks it;
the test is then typed with what it actually uses. The types they name are imported for the type
checker only, so this module needs none of the Kubernetes or OpenShift extras.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pytest_sticky.app import StickyApp

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.gateway.route import Route
    from pytest_sticky.kube.connection import Kube
    from pytest_sticky.kube.incluster import InClusterClient
    from pytest_sticky.kube.ingress import IngressRoute
    from pytest_sticky.openshift.cluster import OpenShiftApp
    from pytest_sticky.openshift.project import RunProject
    from pytest_sticky.openshift.routes import RouteSpec


@runtime_checkable
class HasInClusterClient(Protocol):
    """A Kubernetes cluster with a client pod inside it, to send requests from (kind, existing, openshift)."""

    def client(self) -> InClusterClient: ...


@runtime_checkable
class HasIngress(Protocol):
    """A cluster whose apps may be reached through an ingress controller (kind, existing)."""

    @property
    def ingress(self) -> IngressRoute | None:
        """The ingress controller the apps get an Ingress of (``None``: they are reached another way)."""

    def deploy_app(self, spec: AppSpec) -> StickyApp: ...


@runtime_checkable
class HasServiceAffinity(StickyApp, Protocol):
    """An app behind a Kubernetes Service whose ``sessionAffinity`` a test may switch."""

    kube: Kube
    namespace: str
    selector: str

    def service(self) -> Any:
        """The app's Service, as the Kubernetes client reads it."""

    def set_session_affinity(self, mode: str, timeout_seconds: int | None = None) -> None: ...


@runtime_checkable
class HasRoute(StickyApp, Protocol):
    """An app reached through an OpenShift Route."""

    kube: Kube
    namespace: str
    selector: str
    project: RunProject
    route: RouteSpec
    host: str
    no_cookie_reason: str
    """Why requests through this Route carry no affinity cookie ("" when they do)."""

    def through(self, route: RouteSpec) -> OpenShiftApp:
        """The same pods, reached through ``route``."""


@runtime_checkable
class HasRoutes(Protocol):
    """An OpenShift cluster: it exposes an app through more Routes, through its router."""

    router_url: str

    def expose(  # the keywords the tests pass (the others keep their defaults)
        self,
        app: HasRoute,
        variant: str,
        *,
        termination: str = ...,
        same_site: str | None = ...,
        cookie_name: str | None = ...,
        disable_cookies: bool = ...,
    ) -> HasRoute:
        """``app`` through another Route named ``<app>-<variant>``."""


@runtime_checkable
class HasGateway(Protocol):
    """A cluster that deploys Gateway API routes: several backends behind one route with
    ``sessionPersistence`` (Envoy Gateway on kind or existing, Envoy on local)."""

    def deploy_route(self, route: Route) -> StickyApp: ...


@runtime_checkable
class HasLocalProxies(Protocol):
    """The local cluster: it deploys a route behind the local proxy a test names."""

    proxy_kind: str
    """The run's local proxy (``--sticky-local-proxy``)."""

    def deploy_route(self, route: Route, proxy: str | None = None) -> StickyApp: ...
