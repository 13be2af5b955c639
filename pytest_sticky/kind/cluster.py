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
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_sticky import progress
from pytest_sticky.app import AppSpec
from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.errors import SetupError, StickyError
from pytest_sticky.kind import ingress
from pytest_sticky.kind.binary import KindBinary, find_kind
from pytest_sticky.kind.config import kind_config, render
from pytest_sticky.kind.engine import Engine
from pytest_sticky.kind.hostports import choose_ports, looks_like_port_clash
from pytest_sticky.kind.images import ImageLoader
from pytest_sticky.kind.lease import Lease
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.cluster import KubeCluster
from pytest_sticky.kube.incluster import InClusterClient
from pytest_sticky.kube.manifests import Images
from pytest_sticky.options import StickyConfig

CREATE_ATTEMPTS = 3
CREATE_TIMEOUT = 1200.0
"""``kind create cluster`` may pull the node image first (several hundred MB)."""
LOCK_TIMEOUT = 1800.0
INSTALL_TIMEOUT = 300.0
"""At least this long for a fresh controller (its images are pulled first); more if --sticky-timeout says so."""


@dataclass(frozen=True)
class KindNode:
    """The cluster as kind and the container engine see it."""

    kind: KindBinary
    engine: Engine
    name: str
    created: bool
    """This process created it (another worker of the run may have)."""
    http_port: int | None
    https_port: int | None

    @property
    def container(self) -> str:
        return f"{self.name}-control-plane"


def check_options(config: StickyConfig) -> None:
    """Settings that cannot work with a kind cluster: an error that says why, before anything starts."""
    given = config.explicit
    for name, option in (
        ("sticky_ingress_url", "--sticky-ingress-url"),
        ("sticky_kubeconfig", "--sticky-kubeconfig"),
        ("sticky_context", "--sticky-context"),
    ):
        if name in given:
            raise SetupError(
                f"{option} does not apply to --sticky-cluster=kind: the kind provider writes its own kubeconfig "
                "(context kind-<name>) and maps host ports to the ingress controller; use --sticky-cluster=existing "
                "to point at a cluster yourself"
            )
    if config.ingress_class not in ("", ingress.INGRESS_CLASS):
        raise SetupError(
            f"--sticky-ingress-class={config.ingress_class}: the controllers pytest-sticky installs on kind serve "
            f"the class {ingress.INGRESS_CLASS!r} only"
        )
    if config.ingress == "traefik" and config.affinity_mode == "balanced" and "sticky_affinity_mode" in given:
        raise SetupError(
            "--sticky-affinity-mode=balanced: Traefik's Kubernetes Ingress NGINX provider implements cookie affinity "
            "in persistent mode only; drop the option or use --sticky-ingress=nginx"
        )


def list_clusters(kind: str) -> list[str]:
    try:
        done = run_command([kind, "get", "clusters"], timeout=60)
    except CommandError as exc:
        raise SetupError(f"cannot list the kind clusters:\n{exc}") from None
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def create_cluster(kind: str, name: str, config: StickyConfig) -> tuple[int, int]:
    """Create the cluster; return its (http, https) host ports. Free ports taken meanwhile are re-picked."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        http_port, https_port = choose_ports(config.http_port, config.https_port)
        text = render(kind_config(name=name, http_port=http_port, https_port=https_port))
        with tempfile.NamedTemporaryFile("w", prefix=f"pytest-sticky-kind-{name}-", suffix=".yaml", delete=False) as f:
            f.write(text)
        command = [kind, "create", "cluster", "--name", name, "--config", f.name]
        if config.kind_image:
            command += ["--image", config.kind_image]
        command += ["--wait", f"{int(max(config.timeout, 120))}s"]
        try:
            with progress.phase(f"creating kind cluster {name}"):
                run_command(command, timeout=CREATE_TIMEOUT)
        except CommandError as exc:
            if looks_like_port_clash(exc.stderr + exc.stdout) and attempt < CREATE_ATTEMPTS:
                continue  # another program took a port between our check and the node's start
            raise SetupError(f"could not create kind cluster {name}:\n{exc}") from None
        finally:
            os.unlink(f.name)
        return http_port, https_port
    raise AssertionError("unreachable")  # pragma: no cover


def provision(kind: KindBinary, engine: Engine, config: StickyConfig) -> KindNode:
    """Reuse the cluster named ``config.cluster_name`` if it exists, else create it (call under the lock)."""
    name = config.cluster_name
    if name not in list_clusters(kind.path):
        http_port, https_port = create_cluster(kind.path, name, config)
        return KindNode(kind, engine, name, created=True, http_port=http_port, https_port=https_port)
    container = f"{name}-control-plane"
    mapped_http, mapped_https = engine.host_port(container, 80), engine.host_port(container, 443)
    for fixed, found, option in (
        (config.http_port, mapped_http, "--sticky-http-port"),
        (config.https_port, mapped_https, "--sticky-https-port"),
    ):
        if fixed and found != fixed:
            raise SetupError(
                f"{option}={fixed}: kind cluster {name} already exists and maps host port {found or 'none'} to its "
                f"node's port {80 if option.endswith('http-port') else 443}; it is reused as it is (this run did not "
                f"create it, so it will not delete it). Drop {option}, choose another --sticky-cluster-name, or "
                f"delete the cluster (kind delete cluster --name {name})"
            )
    if config.kind_image:
        running = engine.node_image(container)
        if running is not None and running.split("@")[0] != config.kind_image.split("@")[0]:
            raise SetupError(
                f"--sticky-kind-image={config.kind_image}: kind cluster {name} already exists and runs {running}; "
                f"it is reused as it is (this run did not create it, so it will not delete it). Drop the option, "
                f"choose another --sticky-cluster-name, or delete the cluster (kind delete cluster --name {name})"
            )
    if config.ingress != "none" and mapped_http is None:
        raise SetupError(
            f"kind cluster {name} already exists, but its node {container} publishes no host port for port 80, so "
            "an ingress controller in it cannot be reached (it was not created by pytest-sticky). Use "
            f"--sticky-ingress=none, another --sticky-cluster-name, or delete it (kind delete cluster --name {name})"
        )
    return KindNode(kind, engine, name, created=False, http_port=mapped_http, https_port=mapped_https)


def write_kubeconfig(kind: str, name: str) -> Path:
    """``kind get kubeconfig --name NAME`` in a private temporary file (context ``kind-NAME``)."""
    try:
        done = run_command([kind, "get", "kubeconfig", "--name", name], timeout=60)
    except CommandError as exc:
        raise SetupError(f"cannot get the kubeconfig of kind cluster {name}:\n{exc}") from None
    fd, path = tempfile.mkstemp(prefix=f"pytest-sticky-kind-{name}-", suffix=".kubeconfig")
    with os.fdopen(fd, "w") as f:
        f.write(done.stdout)
    return Path(path)


def delete_cluster(kind: str, name: str) -> None:
    try:
        with progress.phase(f"deleting kind cluster {name}"):
            run_command([kind, "delete", "cluster", "--name", name], timeout=300)
    except CommandError as exc:
        raise SetupError(
            f"could not delete kind cluster {name}, which this run created:\n{exc}\n"
            f"Delete it with: kind delete cluster --name {name}"
        ) from None


def release(node: KindNode, lease: Lease, *, keep: bool) -> None:
    """This process is done with the cluster: delete it if this run made it and nobody else uses it."""
    with lease.locked():
        state = lease.release()
        if keep or not state.ours or state.same_run:
            return  # not ours, kept, or another worker of this run deletes it when it is done
        if state.other_runs:
            warnings.warn(
                f"pytest-sticky: kind cluster {node.name}, created by this run, is left running: other pytest "
                f"runs (pids {state.other_runs}) use it. Delete it later: kind delete cluster --name {node.name}",
                stacklevel=1,
            )
            return
        delete_cluster(node.kind.path, node.name)
        lease.forget()


class KindCluster(KubeCluster):
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
        super().__init__(
            kubeconfig=str(kubeconfig),
            context=f"kind-{node.name}",
            images=Images(app=config.app_image, redis=config.redis_image, pull_policy=config.image_pull_policy),
            timeout=config.timeout,
            keep=config.keep_cluster,
            grace_period=config.grace_period,
            ingress=None,
        )

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
            f"context {self.kube.context}, Kubernetes {self.server_version}; {ingress_text})"
        )

    def install_ingress(self) -> None:
        """Install the chosen controller (unless it runs already) and route the apps through it."""
        if self.config.ingress == "none":
            return
        assert self.node.http_port is not None  # checked in provision()
        if self.config.ingress == "gateway":
            from pytest_sticky.kind import envoy_gateway

            with self.lease.locked():
                ingress.check_no_other_controller(self.kube, "gateway", self.node.name)
                self.gateway, self.ingress_origin = envoy_gateway.install(
                    self.kube,
                    manifest_path=self.config.ingress_manifest,
                    http_port=self.node.http_port,
                    timeout=max(self.config.timeout, INSTALL_TIMEOUT),
                )
            return
        with self.lease.locked():
            self.ingress_origin = ingress.install(
                self.kube,
                self.config.ingress,
                cluster=self.node.name,
                manifest_path=self.config.ingress_manifest,
                timeout=max(self.config.timeout, INSTALL_TIMEOUT),
            )
        self.ingress = ingress.route(
            self.config.ingress,
            http_port=self.node.http_port,
            https_port=self.node.https_port,
            affinity_mode=self.config.affinity_mode,
            version=ingress.running_version(self.kube, self.config.ingress),
        )

    # -- images: with imagePullPolicy Never they come from the local engine ---------------------

    def _load(self, image: str) -> None:
        if self.loader is not None:
            self.loader.load(image)

    def redis(self) -> str:
        self._load(self.images.redis)
        return super().redis()

    def client(self) -> InClusterClient:
        self._load(self.images.app)
        return super().client()

    def deploy_app(self, spec: AppSpec) -> KubeApp:
        self._load(self.images.app)
        return super().deploy_app(spec)

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
            super().close()  # our namespace (kept with --sticky-keep-cluster)
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
