"""The ``kind`` cluster: a kind cluster (created, or reused) with an ingress controller.

1. find kind (PATH, else the pinned kind v0.33.0, sha256-checked and cached) and check the engine runs;
2. under the cluster's lock: reuse the cluster of that name if ``kind get clusters`` lists it,
   else create it from a generated config (host ports -> node 80/443), then record who uses it;
3. write ``kind get kubeconfig`` to a temporary file and connect to context ``kind-<name>``
   as the ``existing`` provider does (one namespace per run, the demo app in it);
4. under the lock: install the ingress controller unless it runs already, and wait for it.

Only a cluster this run created is deleted, by the last of the run's processes to finish, and
not with ``--sticky-keep-cluster`` (the next run then reuses it in seconds).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from pytest_sticky.app import AppSpec
from pytest_sticky.errors import StickyError
from pytest_sticky.gateway.route import Route
from pytest_sticky.kind import ingress
from pytest_sticky.kind.binary import find_kind
from pytest_sticky.kind.checks import check_options
from pytest_sticky.kind.node import (
    CREATE_ATTEMPTS,
    CREATE_TIMEOUT,
    KindNode,
    create_cluster,
    delete_cluster,
    list_clusters,
    provision,
    release,
    write_kubeconfig,
)
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.cluster import KubeCluster
from pytest_sticky.kube.gateway import GatewayRef
from pytest_sticky.kube.ingress import IngressRoute
from pytest_sticky.kube.manifests import Images
from pytest_sticky.kube.workloads import RunsWorkloads
from pytest_sticky.nodes.engine import Engine
from pytest_sticky.nodes.images import ImageLoader
from pytest_sticky.nodes.lease import Lease
from pytest_sticky.options import StickyConfig

__all__ = [  # the node's lifecycle lives in kind.node; its names stay importable from here
    "CREATE_ATTEMPTS",
    "CREATE_TIMEOUT",
    "INSTALL_TIMEOUT",
    "LOCK_TIMEOUT",
    "KindCluster",
    "KindNode",
    "check_options",
    "create_cluster",
    "delete_cluster",
    "list_clusters",
    "make_kind_cluster",
    "provision",
    "release",
    "write_kubeconfig",
]

LOCK_TIMEOUT = 1800.0
INSTALL_TIMEOUT = 300.0
"""At least this long for a fresh controller (its images are pulled first); more if --sticky-timeout says so."""


class KindCluster(RunsWorkloads):
    """A kind node this run created or reused, with the Kubernetes target on it (:class:`KubeCluster`:
    the run's namespace, workloads and way in) and the controller installed for it."""

    name = "kind"

    def __init__(self, config: StickyConfig, node: KindNode, lease: Lease, kubeconfig: Path) -> None:
        self.config = config
        self.node = node
        self.lease = lease
        self.kubeconfig_path = kubeconfig
        self.ingress_origin = ""
        self.loader = (
            ImageLoader(node.kind.path, node.name, node.engine) if config.image_pull_policy == "Never" else None
        )
        self.keep = config.keep_cluster
        self.cluster = KubeCluster(
            kubeconfig=str(kubeconfig),
            context=f"kind-{node.name}",
            images=Images(app=config.app_image, redis=config.redis_image, pull_policy=config.image_pull_policy),
            timeout=config.timeout,
            keep=config.keep_cluster,
            grace_period=config.grace_period,
        )
        self.workloads = self.cluster.workloads
        self.workloads.before_create = self._load
        self.kube = self.cluster.kube
        self.namespace = self.cluster.namespace

    @property
    def description(self) -> str:
        how = "created" if self.node.created else "reused"
        if self.ingress is not None:
            ingress_text = (
                f"ingress {self.ingress.implementation} at {self.ingress.base_url} ({self.ingress_origin}; "
                f"{self.ingress.expectations()})"
            )
        elif self.gateway is not None:
            gateway = self.gateway
            ingress_text = f"Gateway {gateway.namespace}/{gateway.name} at {gateway.base_url} ({self.ingress_origin})"
        else:
            ingress_text = "no ingress controller"
        return (
            f"kind (cluster {self.node.name}, {how}; kind from {self.node.kind.origin}; {self.node.engine.program}; "
            f"context {self.kube.context}, Kubernetes {self.cluster.server_version}; {ingress_text})"
        )

    @property
    def ingress(self) -> IngressRoute | None:
        return self.cluster.ingress

    @property
    def gateway(self) -> GatewayRef | None:
        return self.cluster.gateway

    def install_ingress(self) -> None:
        """Install the chosen controller (unless it runs already) and route the apps through it."""
        if self.config.ingress == "none":
            return
        assert self.node.http_port is not None  # checked in provision()
        with self.lease.locked():
            exposure, self.ingress_origin = ingress.install_exposure(
                self.kube,
                self.config,
                cluster=self.node.name,
                http_port=self.node.http_port,
                https_port=self.node.https_port,
                timeout=max(self.config.timeout, INSTALL_TIMEOUT),
            )
        self.cluster.exposure = exposure

    # -- the run's workloads, on the node (with imagePullPolicy Never, images come from the engine) --

    def _load(self, image: str) -> None:
        if self.loader is not None:
            self.loader.load(image)

    def deploy_app(self, spec: AppSpec) -> KubeApp:
        return self.cluster.deploy_app(spec)

    def deploy_route(self, route: Route) -> KubeApp:
        return self.cluster.deploy_route(route)

    # -- teardown -------------------------------------------------------------------------------

    def _delete_if_last(self) -> bool:
        """Delete the cluster if this run made it and no other process uses it (lock held)."""
        state = self.lease.status()
        if self.keep or not state.last_of_creators:
            return False
        self.namespace.keep()  # the whole cluster goes: no need to delete the namespace first
        self.kube.close()
        self.lease.release()
        delete_cluster(self.node.kind.path, self.node.name)
        self.lease.forget()
        return True

    def close(self) -> None:
        try:
            with self.lease.locked():
                if self._delete_if_last():
                    return
            self.cluster.close()  # our namespace (kept with --sticky-keep-cluster)
            release(self.node, self.lease, keep=self.keep)
        finally:
            self.kubeconfig_path.unlink(missing_ok=True)


def make_kind_cluster(config: StickyConfig) -> KindCluster:
    check_options(config)
    kind = find_kind()
    engine = Engine.from_environment()
    engine.check_running()
    lease = Lease(config.cluster_name, timeout=LOCK_TIMEOUT)
    with lease.locked():
        node = provision(kind, engine, config)
        lease.register(created=node.created)
    kubeconfig: Path | None = None
    try:
        kubeconfig = write_kubeconfig(kind.path, node.name)
        cluster = KindCluster(config, node, lease, kubeconfig)
    except BaseException as exc:
        _cleanup_after(exc, lambda: release(node, lease, keep=config.keep_cluster))
        if kubeconfig is not None:
            kubeconfig.unlink(missing_ok=True)
        raise
    try:
        cluster.install_ingress()
    except BaseException as exc:
        _cleanup_after(exc, cluster.close)
        raise
    return cluster


def _cleanup_after(exc: BaseException, cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` after a failed start; if it fails too, say so in the original error."""
    try:
        cleanup()
    except StickyError as problem:
        if isinstance(exc, StickyError):
            exc.args = (f"{exc}\n(and cleaning up failed: {problem})",)
    except Exception as problem:  # noqa: BLE001 (the original error matters more)
        with contextlib.suppress(Exception):
            exc.add_note(f"cleaning up failed: {problem}")
