"""The existing-cluster provider's refusals and connection errors (no cluster needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import choose_context, connect, looks_like_a_test_cluster

SUITE = """
def test_app(sticky_app):
    assert sticky_app.pods()
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def write_kubeconfig(path: Path, *, current: str, contexts: list[str], server: str) -> Path:
    ctx = "\n".join(f"- name: {c}\n  context: {{cluster: c, user: u}}" for c in contexts)
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{server}", insecure-skip-tls-verify: true}}
users:
- name: u
  user: {{token: not-a-real-token}}
contexts:
{ctx}
current-context: {current}
"""
    )
    return path


TEST_CLUSTERS = [
    "kind-x",
    "kind-pytest-sticky",
    "k3d-dev",
    "minikube",
    "my-test-cluster",
    "team-test",
    "ci",
    "ci_runner",
    "sticky-devcluster",
    "devcluster",
    "dev_eu",
    "eu.dev",
    "TEST-Cluster",
]
NOT_TEST_CLUSTERS = [
    "prod",
    "prod-eu",
    "latest-prod",
    "attestation-prod",
    "contest",
    "cities",
    "circus",
    "devops-prod",
    "protest",
    "testament",
    "stickyprod",
    "kindred-prod",
    "arn:aws:eks:eu-west-1:1:cluster/payments",
    "gke_shop_europe",
]


@pytest.mark.parametrize("name", TEST_CLUSTERS)
def test_test_cluster_names_are_recognised(name: str) -> None:
    assert looks_like_a_test_cluster(name)


@pytest.mark.parametrize("name", NOT_TEST_CLUSTERS)
def test_other_names_are_not(name: str) -> None:
    assert not looks_like_a_test_cluster(name)


@pytest.mark.parametrize("name", ["latest-prod", "attestation-prod", "contest"])
def test_a_current_context_with_test_inside_a_word_is_refused(tmp_path: Path, name: str) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", current=name, contexts=[name], server="https://127.0.0.1:1")
    with pytest.raises(SetupError, match=rf"refusing to use current-context '{name}'.*--sticky-context={name}"):
        choose_context(str(kubeconfig), None)


@pytest.mark.parametrize("name", ["sticky-devcluster", "kind-x", "dev_eu"])
def test_a_test_cluster_current_context_is_used(tmp_path: Path, name: str) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", current=name, contexts=[name], server="https://127.0.0.1:1")
    assert choose_context(str(kubeconfig), None) == name


def test_a_production_looking_current_context_is_refused(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(
        tmp_path / "kc", current="prod-eu", contexts=["prod-eu"], server="https://127.0.0.1:1"
    )
    with pytest.raises(SetupError, match=r"refusing to use current-context 'prod-eu'.*--sticky-context=prod-eu"):
        choose_context(str(kubeconfig), None)


def test_an_explicit_context_is_used_even_without_a_marker(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(
        tmp_path / "kc", current="kind-x", contexts=["kind-x", "prod-eu"], server="https://127.0.0.1:1"
    )
    assert choose_context(str(kubeconfig), "prod-eu") == "prod-eu"
    with pytest.raises(SetupError, match="no such context; contexts: kind-x, prod-eu"):
        choose_context(str(kubeconfig), "staging")


def test_an_unreachable_api_server_is_a_clear_error(tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{closed_port()}"
    kubeconfig = write_kubeconfig(tmp_path / "kc", current="kind-x", contexts=["kind-x"], server=server)
    with pytest.raises(SetupError, match=rf"cannot reach the API server {server} \(context kind-x\).*running"):
        connect(str(kubeconfig), "kind-x")


def test_the_suite_errors_without_a_traceback_when_the_api_is_unreachable(pytester: pytest.Pytester) -> None:
    server = f"https://127.0.0.1:{closed_port()}"
    kubeconfig = write_kubeconfig(pytester.path / "kc", current="kind-x", contexts=["kind-x"], server=server)
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--sticky-cluster=existing", f"--sticky-kubeconfig={kubeconfig}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*pytest-sticky: cannot reach the API server {server}*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*kube/connection.py*")


def test_kubernetes_options_with_the_local_cluster_are_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--sticky-context=kind-x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sticky-context only applies to a Kubernetes cluster*"])
