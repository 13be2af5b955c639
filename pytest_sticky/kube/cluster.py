"""A Kubernetes cluster reached through a kubeconfig: one namespace per run, the run's workloads in
it (:mod:`.workloads`), and the way the tests reach the apps (an :mod:`pytest_sticky.exposures` one).

The ``existing`` provider is this class on the user's kubeconfig (:mod:`.existing`); ``kind``
composes it with the kind node it created and the controller it installed.
"""

from __future__ import annotations

from pytest_sticky.app import AppSpec
from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.errors import MissingTool
from pytest_sticky.exposures.base import Exposure, Target
from pytest_sticky.exposures.gateway import GatewayExposure
from pytest_sticky.gateway.route import Route
from pytest_sticky.kube import manifests
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.connection import Kube, check_reachable, choose_context, connect
from pytest_sticky.kube.gateway import GatewayRef
from pytest_sticky.kube.ingress import IngressRoute
from pytest_sticky.kube.namespace import RunNamespace
from pytest_sticky.kube.workloads import RunsWorkloads, Workloads, ready_redis_address

__all__ = ["KubeCluster", "ready_redis_address"]


def default_exposure(kube: Kube, ingress: IngressRoute | None, discover_ingress: bool, affinity_mode: str) -> Exposure:
    """The way in when none is given: ``ingress``'s controller, the cluster's own class, or the Service."""
    from pytest_sticky.exposures.discovered import discover
    from pytest_sticky.exposures.ingress import IngressExposure
    from pytest_sticky.exposures.service import ServiceExposure

    if ingress is not None:
        return IngressExposure(ingress)
    if discover_ingress:
        return discover(kube, affinity_mode)
    return ServiceExposure("no ingress")


class KubeCluster(RunsWorkloads):
    name = "existing"

    def __init__(
        self,
        *,
        kubeconfig: str | None,
        context: str | None,
        images: manifests.Images,
        timeout: float,
        keep: bool,
        grace_period: int,
        ingress: IngressRoute | None = None,
        discover_ingress: bool = False,
        affinity_mode: str = "balanced",
        exposure: Exposure | None = None,
    ) -> None:
        self.images = images
        self.timeout = timeout
        self.keep = keep
        self.grace_period = grace_period
        chosen = choose_context(kubeconfig, context)
        self.kube: Kube = connect(kubeconfig, chosen)
        self.server_version = check_reachable(self.kube)
        self.namespace = RunNamespace(self.kube)
        self.workloads = Workloads(
            self.kube, self.namespace.name, images=images, timeout=timeout, grace_period=grace_period
        )
        self.exposure: Exposure = exposure or default_exposure(self.kube, ingress, discover_ingress, affinity_mode)
        """How the tests reach the apps (see :mod:`pytest_sticky.exposures`)."""
        self._apps: list[KubeApp] = []

    @property
    def description(self) -> str:
        return f"existing (context {self.kube.context}, {self.kube.server}, Kubernetes {self.server_version})"

    @property
    def ingress(self) -> IngressRoute | None:
        """The ingress controller the apps get an Ingress of (``None``: they are reached another way)."""
        return self.exposure.ingress

    @property
    def gateway(self) -> GatewayRef | None:
        """``--sticky-ingress=gateway``: the Gateway the apps' HTTPRoutes attach to."""
        return self.exposure.gateway if isinstance(self.exposure, GatewayExposure) else None

    @property
    def target(self) -> Target:
        """What an exposure works in: this run's namespace."""
        return Target(
            kube=self.kube,
            namespace=self.namespace.name,
            timeout=self.timeout,
            apply=lambda objects: self.workloads.create(objects, "objects"),
            describe=self.describe,
        )

    def _app(self, name: str, spec: AppSpec) -> KubeApp:
        self.workloads.app(name, spec)
        return KubeApp(
            self.kube,
            self.namespace.name,
            name=name,
            store=spec.store,
            url="",
            behaviour=BEHAVIOURS["service-clientip"],
            cookie_name=None,
            reached_via="",
            replicas=spec.replicas,
        )

    def deploy_app(self, spec: AppSpec) -> KubeApp:
        app = self._app(spec.name, spec)
        ready = app.wait_ready(self.timeout)
        app.reach(self.exposure.expose(self.target, app.name, spec, ready))
        self._apps.append(app)
        return app

    def deploy_route(self, route: Route) -> KubeApp:
        """Every backend of ``route`` (a StatefulSet + Service each) and its HTTPRoute on our Gateway."""
        exposure = self.exposure
        if not isinstance(exposure, GatewayExposure):
            raise MissingTool("routes with sessionPersistence need --sticky-ingress=gateway")
        apps = [
            self._app(backend.app, AppSpec(name=backend.app, replicas=backend.replicas, store="memory"))
            for backend in route.backends
        ]
        ready = [pod for app in apps for pod in app.wait_ready(self.timeout)]
        apps[0].reach(exposure.expose_route(self.target, route, ready))
        for app in apps[1:]:
            app.behaviour = BEHAVIOURS[exposure.gateway.implementation]
        self._apps.extend(apps)
        return apps[0]

    def close(self) -> None:
        self.workloads.forget_client()
        if self.keep:
            self.namespace.keep()
        else:
            self.namespace.delete(timeout=self.timeout)
        self.kube.close()
