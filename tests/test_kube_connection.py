"""The existing-cluster provider's refusals and connection errors (no cluster needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import TEST_CONTEXT_PATTERN, choose_context, connect

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


@pytest.mark.parametrize("name", ["kind-pytest-sticky", "k3d-dev", "minikube", "sticky-devcluster", "team-test", "ci"])
def test_test_cluster_names_are_recognised(name: str) -> None:
    assert TEST_CONTEXT_PATTERN.search(name)


@pytest.mark.parametrize("name", ["prod-eu", "arn:aws:eks:eu-west-1:1:cluster/payments", "gke_shop_europe", "circus"])
def test_other_names_are_not(name: str) -> None:
    assert not TEST_CONTEXT_PATTERN.search(name)


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
