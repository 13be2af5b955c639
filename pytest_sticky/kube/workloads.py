"""The Kubernetes workloads of one run, composed once for every provider that has a cluster
(kind, existing, openshift): the demo app's StatefulSet + Service, Redis, the in-cluster client
pod, their waits and the namespace's description.

Providers differ only in how objects are created (``apply`` into a run namespace, or ``oc create``
into an OpenShift project, renamed with the run's suffix there) and in the names they end up with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pytest_sticky.app import AppSpec
from pytest_sticky.kube import manifests
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.incluster import InClusterClient
from pytest_sticky.kube.waits import wait_ready_pods


class Create(Protocol):
    def __call__(self, objects: list[dict[str, Any]], what: str, *, rename_them: bool = False) -> Any: ...


def ready_redis_address(kube: Kube, namespace: str, name: str, timeout: float) -> str:
    """Wait until the Redis Deployment ``name`` is Ready; the address the app uses (its Service's
    ClusterIP, which works without cluster DNS)."""
    wait_ready_pods(
        kube.core, namespace, f"app.kubernetes.io/name={name}", 1, what="Redis to be ready", timeout=timeout
    )
    service = kube.core.read_namespaced_service(name, namespace)
    return f"{service.spec.cluster_ip}:{manifests.REDIS_PORT}"


class Workloads:
    """What a run deploys into ``namespace``; ``create`` makes objects there, ``suffix`` is what it
    appends to the names of template objects it renames (OpenShift's shared projects)."""

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        *,
        images: manifests.Images,
        timeout: float,
        grace_period: int,
        create: Create | None = None,
        suffix: str = "",
        before_create: Callable[[str], None] = lambda image: None,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.images = images
        self.timeout = timeout
        self.grace_period = grace_period
        self.create: Create = create or self._apply
        self.suffix = suffix
        self.before_create = before_create
        """Called with an image before objects that run it are created (kind loads it into its node)."""
        self._redis_addr: str | None = None
        self._client: InClusterClient | None = None

    def _apply(self, objects: list[dict[str, Any]], what: str, *, rename_them: bool = False) -> None:
        from pytest_sticky.kube.namespace import apply

        for obj in objects:
            apply(self.kube, self.namespace, obj)

    def wait_pods(self, selector: str, count: int, what: str) -> list[str]:
        return wait_ready_pods(self.kube.core, self.namespace, selector, count, what=what, timeout=self.timeout)

    def describe(self) -> str:
        from pytest_sticky.kube.diagnostics import describe_namespace

        return describe_namespace(self.kube.core, self.namespace)

    def redis(self) -> str:
        """Deploy Redis once; return the address the app uses (the Service's ClusterIP)."""
        if self._redis_addr is None:
            self.before_create(self.images.redis)
            self.create(manifests.redis_objects(self.images), "Redis", rename_them=True)
            name = "redis" + self.suffix
            self._redis_addr = ready_redis_address(self.kube, self.namespace, name, self.timeout)
        return self._redis_addr

    def client(self) -> InClusterClient:
        """The in-cluster client pod (created on first use)."""
        if self._client is None:
            self.before_create(self.images.app)
            name = "sticky-client" + self.suffix
            self.create([manifests.client_pod(self.images)], "the in-cluster client pod", rename_them=True)
            self.wait_pods(f"app.kubernetes.io/name={name}", 1, "the in-cluster client pod to be ready")
            self._client = InClusterClient(self.kube, self.namespace, name)
        return self._client

    def app(self, name: str, spec: AppSpec) -> None:
        """Create the StatefulSet + Service ``name`` of ``spec`` (its pods start; nothing waits here)."""
        self.before_create(self.images.app)
        redis_addr = self.redis() if spec.store == "redis" else ""
        self.create(
            manifests.app_objects(
                name=name,
                replicas=spec.replicas,
                store=spec.store,
                redis_addr=redis_addr,
                images=self.images,
                grace_period=spec.grace_period or self.grace_period,
            ),
            f"the app {name}",
        )

    def forget_client(self) -> None:
        self._client = None


class RunsWorkloads:
    """A cluster whose run deploys into :attr:`workloads`: what it offers of them to the tests."""

    workloads: Workloads

    def describe(self) -> str:
        return self.workloads.describe()

    def redis(self) -> str:
        return self.workloads.redis()

    def client(self) -> InClusterClient:
        return self.workloads.client()
