"""``--sticky-cluster=kind`` through the plugin (pytester), against the fake kind/docker.

What a user sees: setup errors without tracebacks that say what to install or start, and a
cluster deleted only when this run created it. Without the devcluster the fake kubeconfig
points at a closed port, so these runs stop at "cannot reach the API server" (after the
cluster is created): the cleanup paths are what they show.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.fakes.kind_harness import FakeKind

NAME = "sticky-test"
SUITE = """
def test_uses_the_cluster(sticky_cluster):
    assert sticky_cluster.name == "kind"
"""


@pytest.fixture
def fake(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> FakeKind:
    return FakeKind.install(pytester.path / "fake", monkeypatch)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(SUITE)
    return pytester.runpytest_subprocess("--sticky-cluster=kind", f"--sticky-cluster-name={NAME}", *args, timeout=120)


def assert_setup_error(result: pytest.RunResult, *lines: str) -> None:
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(list(lines))
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*pytest_sticky/kind/*.py:*")
    result.stdout.no_fnmatch_line("*pytest_sticky/nodes/*.py:*")


def test_docker_not_running_says_start_docker(
    pytester: pytest.Pytester, fake: FakeKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STICKY_FAKE_ENGINE_DOWN", "1")
    result = run(pytester)
    assert_setup_error(
        result,
        "*pytest-sticky: docker is not running: `docker info` failed: Cannot connect to the Docker daemon*",
        "*start Docker (e.g. `sudo systemctl start docker`, or open Docker Desktop), then run the tests again*",
    )
    assert fake.commands() == [["docker", "info"]]


def test_no_kind_and_no_download_says_what_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeKind.install(pytester.path / "fake", monkeypatch, tools=("docker",))
    result = run(pytester)
    assert_setup_error(result, "*pytest-sticky: kind is not on PATH and kind v0.33.0 could not be downloaded from*")
    assert "Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" in result.stdout.str()
    assert "set STICKY_KIND_DOWNLOAD_URL to a mirror" in result.stdout.str()
    assert not list((fake.cache / "pytest-sticky" / "kind").glob("kind-*")), "nothing is kept"


def test_a_fixed_http_port_that_is_taken_names_its_holder(pytester: pytest.Pytester, fake: FakeKind) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run(pytester, f"--sticky-http-port={port}")
    assert_setup_error(
        result, f"*pytest-sticky: --sticky-http-port={port}: port {port} is already in use on this machine, by pid*"
    )
    assert f"by pid {os.getpid()} (" in result.stdout.str(), "the holder is this test's process"
    assert not any(c[:3] == ["kind", "create", "cluster"] for c in fake.commands())


def test_a_cluster_this_run_created_is_deleted_when_the_run_fails_after_creating_it(
    pytester: pytest.Pytester, fake: FakeKind
) -> None:
    result = run(pytester, "--sticky-ingress=traefik")
    assert_setup_error(
        result, f"*pytest-sticky: cannot reach the API server https://127.0.0.1:{fake.api_port} (context kind-{NAME})*"
    )
    commands = fake.commands()
    assert commands[0] == ["docker", "info"]
    assert commands[1] == ["kind", "get", "clusters"]
    assert commands[2][:5] == ["kind", "create", "cluster", "--name", NAME]
    assert commands[3:] == [
        ["kind", "get", "kubeconfig", "--name", NAME],
        ["kind", "delete", "cluster", "--name", NAME],
    ]
    assert fake.clusters() == {}
    assert list(fake.tmp.iterdir()) == [], "the generated kind config and kubeconfig are removed"


def test_a_cluster_this_run_did_not_create_is_reused_and_never_deleted(
    pytester: pytest.Pytester, fake: FakeKind
) -> None:
    fake.seed_cluster(NAME, {80: 41080, 443: 41443})
    result = run(pytester)
    assert_setup_error(result, "*pytest-sticky: cannot reach the API server*")
    assert fake.commands() == [
        ["docker", "info"],
        ["kind", "get", "clusters"],
        ["docker", "port", f"{NAME}-control-plane", "80/tcp"],
        ["docker", "port", f"{NAME}-control-plane", "443/tcp"],
        ["kind", "get", "kubeconfig", "--name", NAME],
    ]
    assert NAME in fake.clusters()


def test_a_kept_cluster_stays_and_the_next_run_reuses_it(pytester: pytest.Pytester, fake: FakeKind) -> None:
    run(pytester, "--sticky-keep-cluster")
    assert [c[1:3] for c in fake.commands("kind")] == [
        ["get", "clusters"],
        ["create", "cluster"],
        ["get", "kubeconfig"],
    ]
    assert NAME in fake.clusters()
    fake.log.unlink()
    run(pytester)
    assert [c[1:3] for c in fake.commands("kind")] == [["get", "clusters"], ["get", "kubeconfig"]]
    assert NAME in fake.clusters(), "the second run did not create it: it never deletes it"


def test_kind_only_settings_with_another_cluster_are_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--sticky-cluster=existing", "--sticky-http-port=8080")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sticky-http-port only applies to --sticky-cluster=kind*"])


def test_xdist_workers_share_one_cluster_at_a_time(pytester: pytest.Pytester, fake: FakeKind) -> None:
    """Creation is locked: however the workers interleave, there is never a second cluster of that name."""
    pytest.importorskip("xdist")
    pytester.makepyfile(**{f"test_part{i}": SUITE for i in range(4)})
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "--sticky-cluster=kind", f"--sticky-cluster-name={NAME}", timeout=180
    )
    result.assert_outcomes(errors=4)
    lifecycle = [c[1] for c in fake.commands("kind") if c[1] in ("create", "delete")]
    assert lifecycle, "a cluster was created"
    assert lifecycle == ["create", "delete"] * (len(lifecycle) // 2), f"never two clusters at once: {lifecycle}"
    assert fake.clusters() == {}
    creates = [c for c in fake.calls() if c["argv"][:2] == ["create", "cluster"]]
    assert all(c["config"] for c in creates)
    state_file = fake.cache / "pytest-sticky" / "kind" / f"{NAME}.json"
    assert not state_file.exists() or json.loads(state_file.read_text())["users"] == []


def test_the_report_header_is_unchanged_for_kind(pytester: pytest.Pytester, fake: FakeKind) -> None:
    """Collecting a kind run starts nothing (the cluster comes with the first test that needs it)."""
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--sticky-cluster=kind", "--collect-only")
    assert result.ret == pytest.ExitCode.OK
    assert fake.commands() == []
    assert Path(fake.log).exists() is False
