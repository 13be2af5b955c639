"""The kind provider's steps, driven through their real call sites against the fake kind/docker/podman.

Each test runs the provider's own code (finding kind, checking the engine, creating or reusing
the cluster, loading images, releasing it); only the programs it runs are fakes (tests/fakes/),
which log every call so that the exact commands and the generated kind config can be asserted.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pytest_sticky.errors import MissingTool, SetupError
from pytest_sticky.kind import cluster as kind_cluster
from pytest_sticky.kind.binary import find_kind
from pytest_sticky.kind.checks import check_options
from pytest_sticky.kind.cluster import KindNode, provision, release
from pytest_sticky.kind.config import kind_config, render
from pytest_sticky.nodes.engine import Engine
from pytest_sticky.nodes.hostports import port_holder
from pytest_sticky.nodes.images import ImageLoader
from pytest_sticky.nodes.lease import Lease
from tests.fakes.kind_harness import FakeKind, closed_port, kind_settings

NAME = "sticky-test"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKind:
    monkeypatch.chdir(tmp_path)
    return FakeKind.install(tmp_path, monkeypatch)


def node_of(**changes: object) -> KindNode:
    return provision(find_kind(), Engine.from_environment(), kind_settings(**changes))


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# -- create or reuse ---------------------------------------------------------------------------------


def test_a_missing_cluster_is_created_from_the_generated_config(fake: FakeKind) -> None:
    node = node_of()
    assert node.created and node.name == NAME
    assert node.http_port and node.https_port and node.http_port != node.https_port
    assert bindable(node.http_port) and bindable(node.https_port), "free ports are chosen"
    commands = fake.commands()
    assert commands[0] == ["kind", "get", "clusters"]
    create = commands[1]
    config_file = create[create.index("--config") + 1]
    assert create == ["kind", "create", "cluster", "--name", NAME, "--config", config_file, "--wait", "120s"]
    assert len(commands) == 2
    assert fake.created_configs() == [
        render(kind_config(name=NAME, http_port=node.http_port, https_port=node.https_port))
    ]
    assert not Path(config_file).exists(), "the temporary config is removed"
    assert fake.clusters()[NAME]["ports"] == {"80": node.http_port, "443": node.https_port}


def test_the_node_image_and_fixed_ports_are_passed_to_kind(fake: FakeKind) -> None:
    http_port, https_port = closed_port(), closed_port()
    while https_port == http_port:
        https_port = closed_port()
    node = node_of(kind_image="kindest/node:v1.35.0", http_port=http_port, https_port=https_port, timeout=300)
    assert (node.http_port, node.https_port) == (http_port, https_port)
    create = fake.commands("kind")[1]
    assert create[-4:] == ["--image", "kindest/node:v1.35.0", "--wait", "300s"]
    mappings = yaml.safe_load(fake.created_configs()[0])["nodes"][0]["extraPortMappings"]
    assert [(m["containerPort"], m["hostPort"]) for m in mappings] == [(80, http_port), (443, https_port)]


def test_a_cluster_that_exists_is_reused_with_its_host_ports(fake: FakeKind) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    node = node_of()
    assert not node.created
    assert (node.http_port, node.https_port) == (41080, 41443)
    assert fake.commands() == [
        ["kind", "get", "clusters"],
        ["docker", "port", f"{NAME}-control-plane", "80/tcp"],
        ["docker", "port", f"{NAME}-control-plane", "443/tcp"],
    ]


def test_a_reused_cluster_without_port_80_cannot_carry_an_ingress(fake: FakeKind) -> None:
    fake.seed_cluster(NAME)
    with pytest.raises(
        SetupError, match=rf"{NAME}-control-plane publishes no host port for port 80.*--sticky-ingress=none"
    ):
        node_of()
    node = node_of(ingress="none")
    assert not node.created and node.http_port is None
    assert not any(c[:2] == ["kind", "create"] for c in fake.commands())


def test_a_fixed_port_other_than_the_reused_clusters_is_an_error(fake: FakeKind) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    with pytest.raises(SetupError, match=r"--sticky-http-port=41081: kind cluster sticky-test already exists and maps"):
        node_of(http_port=41081)


def test_a_node_image_other_than_the_reused_clusters_is_an_error(fake: FakeKind) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443}, image="kindest/node:v1.34.0@sha256:0123")
    assert not node_of(kind_image="kindest/node:v1.34.0").created
    assert ["docker", "inspect", "--format", "{{.Config.Image}}", f"{NAME}-control-plane"] in fake.commands()
    with pytest.raises(
        SetupError, match=r"--sticky-kind-image=kindest/node:v1.35.0: kind cluster sticky-test already "
    ):
        node_of(kind_image="kindest/node:v1.35.0")


def test_a_free_port_taken_before_the_node_binds_it_is_picked_again(
    fake: FakeKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STICKY_FAKE_PORT_CLASHES", "1")
    node = node_of()
    creates = [c for c in fake.commands("kind") if c[1] == "create"]
    assert len(creates) == 2
    tried = [yaml.safe_load(c)["nodes"][0]["extraPortMappings"][0]["hostPort"] for c in fake.created_configs()]
    assert tried[1] == node.http_port
    assert node.created


def test_kind_failing_for_good_is_an_error_with_its_output(fake: FakeKind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STICKY_FAKE_PORT_CLASHES", "9")
    with pytest.raises(SetupError, match=r"(?s)could not create kind cluster sticky-test:.*port is already allocated"):
        node_of()
    assert len([c for c in fake.commands("kind") if c[1] == "create"]) == kind_cluster.CREATE_ATTEMPTS


def test_a_fixed_port_that_is_taken_names_the_process_holding_it(fake: FakeKind) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(SetupError) as info:
            node_of(http_port=port)
    message = str(info.value)
    assert (
        f"--sticky-http-port={port}: port {port} is already in use on this machine, by pid {os.getpid()} (" in message
    )
    assert "python" in message, "the holder's command line"
    assert "leave --sticky-http-port unset (0)" in message
    assert not any(c[:2] == ["kind", "create"] for c in fake.commands())


def test_the_holder_of_a_port_nobody_listens_on_is_not_invented() -> None:
    assert port_holder(closed_port()).startswith("another process (no listening socket found")


# -- finding kind ------------------------------------------------------------------------------------


def test_kind_on_path_is_preferred(fake: FakeKind) -> None:
    found = find_kind()
    assert found.path == str(fake.bin / "kind") and found.origin == "PATH"


def test_without_kind_and_without_the_download_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeKind.install(tmp_path, monkeypatch, tools=("docker",))
    with pytest.raises(MissingTool) as info:
        find_kind()
    assert "kind is not on PATH and kind v0.33.0 could not be downloaded from http://127.0.0.1:" in str(info.value)
    assert "https://kind.sigs.k8s.io/docs/user/quick-start/#installation" in str(info.value)


# -- the container engine --------------------------------------------------------------------------


def test_docker_not_running_says_start_docker(fake: FakeKind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STICKY_FAKE_ENGINE_DOWN", "1")
    with pytest.raises(MissingTool) as info:
        Engine.from_environment().check_running()
    message = str(info.value)
    assert message.startswith("docker is not running: `docker info` failed: Cannot connect to the Docker daemon")
    assert "start Docker" in message
    assert fake.commands() == [["docker", "info"]]


def test_podman_is_used_when_kind_is_told_to(fake: FakeKind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
    engine = Engine.from_environment()
    engine.check_running()
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    assert provision(find_kind(), engine, kind_settings()).http_port == 41080
    assert [c[:2] for c in fake.commands()] == [
        ["podman", "info"],
        ["kind", "get"],
        ["podman", "port"],
        ["podman", "port"],
    ]
    assert {c["provider"] for c in fake.calls()} == {"podman"}
    monkeypatch.setenv("STICKY_FAKE_ENGINE_DOWN", "1")
    with pytest.raises(MissingTool, match=r"(?s)podman is not running: .*start Podman \(`podman machine start`"):
        engine.check_running()


def test_a_missing_engine_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeKind.install(tmp_path, monkeypatch, tools=("kind",))
    with pytest.raises(
        MissingTool, match=r"docker is not installed: install Docker .*KIND_EXPERIMENTAL_PROVIDER=podman"
    ):
        Engine.from_environment().check_running()


# -- images ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["docker", "podman"])
def test_images_are_loaded_as_archives_once(fake: FakeKind, monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    """``kind load image-archive`` works with Docker and Podman (``kind load docker-image`` does not with Podman)."""
    if provider == "podman":
        monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    loader = ImageLoader(str(fake.bin / "kind"), NAME, Engine.from_environment())
    loader.load("sticky-lab/python:3")
    loader.load("sticky-lab/python:3")
    save, load = fake.commands()
    archive = save[3]
    assert save == [provider, "save", "-o", archive, "sticky-lab/python:3"]
    assert load == ["kind", "load", "image-archive", archive, "--name", NAME]
    assert not Path(archive).exists(), "the archive is removed"


def test_an_image_missing_from_the_engine_is_a_clear_error(fake: FakeKind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STICKY_FAKE_MISSING_IMAGES", "mine:1")
    loader = ImageLoader(str(fake.bin / "kind"), NAME, Engine.from_environment())
    with pytest.raises(SetupError, match=r"cannot copy image mine:1 .*reference does not exist.*pull or build it"):
        loader.load("mine:1")


# -- who deletes -----------------------------------------------------------------------------------


@pytest.fixture
def other_process() -> Iterator[int]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_lease_tells_creators_from_reusers(fake: FakeKind, other_process: int) -> None:
    mine = Lease(NAME, timeout=5, run="run-a")
    with mine.locked():
        assert mine.register(created=True)
    worker = Lease(NAME, timeout=5, run="run-a", pid=other_process)
    stranger = Lease(NAME, timeout=5, run="run-b", pid=dead_pid())
    with mine.locked():
        assert worker.register(created=False), "another worker of the creating run shares the ownership"
        assert not stranger.register(created=False)
        status = mine.status()
    assert status.ours and status.same_run == [other_process] and status.other_runs == [], "dead processes drop out"
    assert not status.last_of_creators
    with mine.locked():
        worker.release()
        assert mine.release().last_of_creators


def node_for(fake: FakeKind) -> KindNode:
    return KindNode(find_kind(), Engine("docker"), NAME, created=True, http_port=41080, https_port=41443)


def test_release_deletes_a_cluster_this_run_created(fake: FakeKind) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    lease = Lease(NAME, timeout=5)
    with lease.locked():
        lease.register(created=True)
    release(node_for(fake), lease, keep=False)
    assert fake.commands() == [["kind", "delete", "cluster", "--name", NAME]]
    assert NAME not in fake.clusters()
    assert not lease.state_path.exists()


@pytest.mark.parametrize("why", ["reused", "kept"])
def test_release_leaves_a_cluster_it_did_not_create_or_must_keep(fake: FakeKind, why: str) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    lease = Lease(NAME, timeout=5)
    with lease.locked():
        lease.register(created=why == "kept")
    release(node_for(fake), lease, keep=why == "kept")
    assert fake.commands() == []
    assert NAME in fake.clusters()


def test_release_leaves_a_cluster_another_run_still_uses(fake: FakeKind, other_process: int) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    lease = Lease(NAME, timeout=5, run="run-a")
    with lease.locked():
        lease.register(created=True)
        Lease(NAME, timeout=5, run="run-b", pid=other_process).register(created=False)
    with pytest.warns(UserWarning, match=rf"kind cluster {NAME}, created by this run, is left running"):
        release(node_for(fake), lease, keep=False)
    assert fake.commands() == []


def test_waiting_too_long_for_the_lock_says_who_to_look_for(fake: FakeKind) -> None:
    from filelock import FileLock

    lease = Lease(NAME, timeout=0.3)
    with (
        FileLock(str(lease.lock_path)),
        pytest.raises(SetupError, match=r"waited 0.3 s for .*sticky-test.lock"),
        lease.locked(),
    ):
        pass


# -- settings that cannot apply --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ingress_url": "http://127.0.0.1:8080/"}, "--sticky-ingress-url does not apply to --sticky-cluster=kind"),
        ({"kubeconfig": "/tmp/kc"}, "--sticky-kubeconfig does not apply"),
        ({"ingress_class": "traefik"}, "--sticky-ingress-class=traefik: the controllers pytest-sticky installs"),
        ({"ingress": "traefik", "affinity_mode": "balanced"}, "in persistent mode only"),
    ],
)
def test_settings_that_cannot_apply_to_kind_are_refused(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SetupError, match=message):
        check_options(kind_settings(**changes))
    check_options(kind_settings(ingress="traefik"))
