"""The kind cluster as kind and the container engine see it: list, create (or reuse), kubeconfig, delete.

A cluster this run created is deleted only by the last of the run's processes to be done with it
(``release``), and not with ``--sticky-keep-cluster``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from pytest_sticky import progress
from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.errors import SetupError
from pytest_sticky.kind.binary import KindBinary
from pytest_sticky.kind.config import kind_config, render
from pytest_sticky.nodes.engine import Engine
from pytest_sticky.nodes.hostports import choose_ports, looks_like_port_clash
from pytest_sticky.nodes.lease import Lease
from pytest_sticky.options import StickyConfig

CREATE_ATTEMPTS = 3
CREATE_TIMEOUT = 1200.0
"""``kind create cluster`` may pull the node image first (several hundred MB)."""


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
