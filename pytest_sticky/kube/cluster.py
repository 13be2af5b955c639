"""The ``existing`` cluster: a kubeconfig context, one namespace per run, the demo app in it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pytest_sticky.app import AppSpec
from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.errors import MissingTool, SetupError
from pytest_sticky.gateway.route import Route, single_rule
from pytest_sticky.kube import manifests
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.connection import Kube, check_reachable, choose_context, connect
from pytest_sticky.kube.gateway import GatewayRef
from pytest_sticky.kube.incluster import InClusterClient
from pytest_sticky.kube.ingress import (
    NGINX_CONTROLLER,
    DiscoveredClass,
    IngressRoute,
    NoClass,
    discover_class,
    identified,
    published_address,
    serving_pod,
)
from pytest_sticky.kube.namespace import RunNamespace, apply
from pytest_sticky.kube.service_reach import reach_service
from pytest_sticky.kube.waits import wait_ready_pods
from pytest_sticky.waiting import WaitTimeout, wait_until

DISCOVERY_WAIT_S = 30.0
"""How long a discovered ingress controller gets to publish an address and answer."""


def ready_redis_address(kube: Kube, namespace: str, name: str, timeout: float) -> str:
    """Wait until the Redis Deployment ``name`` is Ready; the address the app uses (its Service's
    ClusterIP, which works without cluster DNS)."""
    wait_ready_pods(
        kube.core, namespace, f"app.kubernetes.io/name={name}", 1, what="Redis to be ready", timeout=timeout
    )
    service = kube.core.read_namespaced_service(name, namespace)
    return f"{service.spec.cluster_ip}:{manifests.REDIS_PORT}"


class KubeCluster:
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
    ) -> None:
        self.images = images
        self.ingress = ingress
        self.affinity_mode = affinity_mode
        self.timeout = timeout
        self.keep = keep
        self.grace_period = grace_period
        chosen = choose_context(kubeconfig, context)
        self.kube: Kube = connect(kubeconfig, chosen)
        self.server_version = check_reachable(self.kube)
        self.namespace = RunNamespace(self.kube)
        found = discover_class(self.kube) if ingress is None and discover_ingress else NoClass("no ingress")
        self.discovered = found if isinstance(found, DiscoveredClass) else None
        """An IngressClass found in the cluster: the apps get an Ingress of it, used when it answers."""
        self.no_ingress = found.reason if isinstance(found, NoClass) else ""
        """Why the apps are reached through their Service when no class was found."""
        self._redis_addr: str | None = None
        self._client: InClusterClient | None = None
        self._apps: list[KubeApp] = []
        self.gateway: GatewayRef | None = None
        """``--sticky-ingress=gateway``: the Gateway the apps' HTTPRoutes attach to."""

    @property
    def description(self) -> str:
        return f"existing (context {self.kube.context}, {self.kube.server}, Kubernetes {self.server_version})"

    def _apply_all(self, objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            apply(self.kube, self.namespace.name, obj)

    def _wait_pods(self, selector: str, count: int, what: str) -> list[str]:
        return wait_ready_pods(self.kube.core, self.namespace.name, selector, count, what=what, timeout=self.timeout)

    def describe(self) -> str:
        from pytest_sticky.kube.diagnostics import describe_namespace

        return describe_namespace(self.kube.core, self.namespace.name)

    def redis(self) -> str:
        """Deploy Redis once; return the address the app uses (the Service's ClusterIP)."""
        if self._redis_addr is None:
            self._apply_all(manifests.redis_objects(self.images))
            self._redis_addr = ready_redis_address(self.kube, self.namespace.name, "redis", self.timeout)
        return self._redis_addr

    def client(self) -> InClusterClient:
        """The in-cluster client pod (created on first use)."""
        if self._client is None:
            self._apply_all([manifests.client_pod(self.images)])
            self._wait_pods("app.kubernetes.io/name=sticky-client", 1, "the in-cluster client pod to be ready")
            self._client = InClusterClient(self.kube, self.namespace.name, "sticky-client")
        return self._client

    def deploy_app(self, spec: AppSpec) -> KubeApp:
        redis_addr = self.redis() if spec.store == "redis" else ""
        self._apply_all(
            manifests.app_objects(
                name=spec.name,
                replicas=spec.replicas,
                store=spec.store,
                redis_addr=redis_addr,
                images=self.images,
                grace_period=spec.grace_period or self.grace_period,
            )
        )
        service = self.kube.core.read_namespaced_service(spec.name, self.namespace.name)
        app = KubeApp(
            self.kube,
            self.namespace.name,
            name=spec.name,
            store=spec.store,
            url="",
            behaviour=BEHAVIOURS["service-clientip"],
            cookie_name=None,
            reached_via="",
            replicas=spec.replicas,
        )
        ready = app.wait_ready(self.timeout)
        if self.gateway is not None:
            self._route_through_gateway(app, single_rule(spec.name, spec.replicas), ready)
        elif self.ingress is not None:
            self._route_through_ingress(app, self.ingress, ready, spec)
        else:
            why_not = self._try_discovered_ingress(app, ready, spec) if self.discovered else self.no_ingress
            if why_not != "":  # "" means the discovered ingress now routes the app
                app.url, app.reached_via = reach_service(self.kube, service, ready, self.timeout)
                if why_not:
                    app.reached_via += f"; {why_not}"
        self._apps.append(app)
        return app

    def deploy_route(self, route: Route) -> KubeApp:
        """Every backend of ``route`` (a StatefulSet + Service each) and its HTTPRoute on our Gateway."""
        if self.gateway is None:
            raise MissingTool("routes with sessionPersistence need --sticky-ingress=gateway")
        apps = []
        for backend in route.backends:
            self._apply_all(
                manifests.app_objects(
                    name=backend.app,
                    replicas=backend.replicas,
                    store="memory",
                    redis_addr="",
                    images=self.images,
                    grace_period=self.grace_period,
                )
            )
            apps.append(
                KubeApp(
                    self.kube,
                    self.namespace.name,
                    name=backend.app,
                    store="memory",
                    url="",
                    behaviour=BEHAVIOURS[self.gateway.implementation],
                    cookie_name=None,
                    reached_via="",
                    replicas=backend.replicas,
                )
            )
        ready = [pod for app in apps for pod in app.wait_ready(self.timeout)]
        app = apps[0]
        self._route_through_gateway(app, route, ready)
        self._apps.extend(apps)
        return app

    def _wait_routed(self, base_url: str, host: str, ready: list[str], *, what: str, url: str = "") -> None:
        """Wait until ``GET url`` (default ``base_url``) with ``Host: host`` is answered by one of the ``ready``
        pods; if it never is, a SetupError that says who answered ``base_url`` and describes the namespace."""
        url = url or base_url
        try:
            wait_until(
                lambda: serving_pod(url, host) in ready,
                what=what,
                timeout=self.timeout,
                interval=0.1,
                state=lambda: f"GET {base_url} (Host: {host}) answered by {serving_pod(base_url, host)}",
            )
        except WaitTimeout as exc:
            raise SetupError(f"{exc}\n{self.describe()}") from None

    def _route_through_gateway(self, app: KubeApp, route: Route, ready: list[str]) -> None:
        from pytest_sticky.kube.gateway import expose

        gateway = self.gateway
        assert gateway is not None
        host = expose(self.kube, route, namespace=self.namespace.name, gateway=gateway, timeout=self.timeout)
        path = route.rules[0].path
        self._wait_routed(
            gateway.base_url,
            host,
            ready,
            what=f"Gateway {gateway.namespace}/{gateway.name} to route {host}{path} to {route.name}",
            url=gateway.base_url.rstrip("/") + path,
        )
        persistence = route.rules[0].session_persistence
        app.url = gateway.base_url
        app.headers = {"Host": host}
        app.behaviour = BEHAVIOURS[gateway.implementation]
        app.cookie_name = None
        if persistence is not None and persistence.type == "Cookie":
            app.cookie_name = persistence.session_name or f"httproute-{self.namespace.name}-{route.name}-rule-0"
        app.reached_via = (
            f"HTTPRoute {route.name} (Gateway {gateway.namespace}/{gateway.name}, host {host}) at {gateway.base_url}"
        )

    def _try_discovered_ingress(self, app: KubeApp, ready: list[str], spec: AppSpec) -> str:
        """Give the app an Ingress of the discovered class and use it if it answers.

        Returns "" when the app is now reached through it, else why not (the app then stays on
        its Service, and the run says so).
        """
        assert self.discovered is not None
        cls = self.discovered
        if cls.controller != NGINX_CONTROLLER:
            return (
                f"IngressClass {cls.name} (controller {cls.controller}) is not one pytest-sticky knows: "
                "name the controller with --sticky-ingress and --sticky-ingress-url"
            )
        probe = IngressRoute(
            ingress_class=cls.name,
            base_url="",
            affinity_mode=self.affinity_mode,
        )
        host, annotations = self._create_ingress(app, probe, spec)
        wait_s = min(self.timeout, DISCOVERY_WAIT_S)
        address = published_address(self.kube, self.namespace.name, app.name, wait_s)
        if address is None:
            return (
                f"an Ingress of class {cls.name} was created, but no address was published for it within {wait_s:g} s"
            )
        route = replace(probe, base_url=f"http://{address}/")
        try:
            wait_until(
                lambda: serving_pod(route.base_url, host) in ready,
                what=f"Ingress {app.name} at {route.base_url} to answer",
                timeout=wait_s,
                interval=0.1,
            )
        except WaitTimeout:
            return f"an Ingress of class {cls.name} was created, but its address {address} did not answer from here"
        self._use_ingress(app, route, host, annotations, spec)
        return ""

    def _create_ingress(self, app: KubeApp, ingress: IngressRoute, spec: AppSpec) -> tuple[str, dict[str, str]]:
        host = ingress.host(app.name, self.namespace.name)
        objects = manifests.ingress_objects(
            name=app.name,
            host=host,
            ingress_class=ingress.ingress_class,
            cookie_name=ingress.cookie_name,
            affinity_mode=ingress.affinity_mode,
            affinity=spec.affinity,
            annotations=spec.ingress_annotations,
        )
        self._apply_all(objects)
        annotations: dict[str, str] = objects[0]["metadata"]["annotations"]
        return host, annotations

    def _route_through_ingress(self, app: KubeApp, ingress: IngressRoute, ready: list[str], spec: AppSpec) -> None:
        host, annotations = self._create_ingress(app, ingress, spec)
        self._wait_routed(
            ingress.base_url, host, ready, what=f"ingress class {ingress.ingress_class} to route {host} to {app.name}"
        )
        self._use_ingress(app, ingress, host, annotations, spec)

    def _use_ingress(
        self, app: KubeApp, ingress: IngressRoute, host: str, annotations: dict[str, str], spec: AppSpec
    ) -> None:
        cookie_name = annotations.get(f"{manifests.NGINX_ANNOTATION}session-cookie-name", "INGRESSCOOKIE")
        if spec.affinity:
            # what answers decides the expectations, not the IngressClass's controller string
            ingress = identified(ingress, host, cookie_name)
            if self.ingress is not None and self.ingress.product != ingress.product:
                self.ingress = replace(self.ingress, product=ingress.product, identified_by=ingress.identified_by)
        mode = annotations.get(f"{manifests.NGINX_ANNOTATION}affinity-mode", ingress.affinity_mode)
        app.url = ingress.base_url
        app.ingress = ingress
        app.headers = {"Host": host}
        app.behaviour = replace(ingress, affinity_mode=mode).behaviour
        app.cookie_name = cookie_name if spec.affinity else None
        app.reached_via = (
            f"Ingress {app.name} (class {ingress.ingress_class}, host {host}) at {ingress.base_url}; "
            f"{replace(ingress, affinity_mode=mode).expectations()}"
        )

    def close(self) -> None:
        self._client = None
        if self.keep:
            self.namespace.keep()
        else:
            self.namespace.delete(timeout=self.timeout)
        self.kube.close()
