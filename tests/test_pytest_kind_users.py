"""A session that has pytest-kind(-ng)'s ``kind_cluster`` deploys into that cluster (README snippet).

pytest-kind-ng is not installed here (nor a dependency): a stand-in plugin registers exactly the
options and the fixture its 26.7.0 wheel does (``--cluster-name``, ``--keep-cluster``,
``--kubeconfig``, ``--kind-image``; session fixture ``kind_cluster`` with ``.kubeconfig_path``).
Its kubeconfig points at a closed loopback port, so the run shows which API server the plugin
used: the one in ``kind_cluster``'s kubeconfig.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.fakes.kind_harness import closed_port

ROOT = Path(__file__).resolve().parent.parent

STAND_IN = """
import types

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("kind")
    group.addoption("--cluster-name", default="pytest-kind")
    group.addoption("--keep-cluster", action="store_true")
    group.addoption("--kubeconfig")
    group.addoption("--kind-image")


@pytest.fixture(scope="session")
def kind_cluster(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("kind") / "kubeconfig"
    path.write_text(KUBECONFIG)
    return types.SimpleNamespace(name=request.config.getoption("cluster_name"), kubeconfig_path=path)
"""

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
  - name: kind-pytest-kind
    cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}
users:
  - name: kind-pytest-kind
    user: {{token: not-a-real-token}}
contexts:
  - name: kind-pytest-kind
    context: {{cluster: kind-pytest-kind, user: kind-pytest-kind}}
current-context: kind-pytest-kind
"""


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("**pytest-kind users.**") :]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None, "README: no conftest snippet under 'pytest-kind users'"
    return found.group(1)


def test_the_readme_snippet_deploys_into_the_kind_cluster_of_pytest_kind(pytester: pytest.Pytester) -> None:
    port = closed_port()
    pytester.makepyfile(stand_in=STAND_IN.replace("KUBECONFIG", repr(KUBECONFIG.format(port=port))))
    pytester.makeconftest("pytest_plugins = ['stand_in']\n" + readme_snippet())
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_uses_the_cluster(sticky_cluster):
                assert sticky_cluster.name == "existing"
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "--sticky-cluster=existing", "--cluster-name=pytest-kind", "--keep-cluster", timeout=120
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cannot reach the API server https://127.0.0.1:{port} (context kind-pytest-kind)*"])
    result.stdout.no_fnmatch_line("*already added*")  # no option clash between the two plugins


def test_pytest_kind_ngs_options_do_not_clash_with_the_plugins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(stand_in=STAND_IN.replace("KUBECONFIG", repr("")))
    pytester.makeconftest("pytest_plugins = ['stand_in']\n")
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == 0, result.stderr.str()
    for option in ("--cluster-name=", "--keep-cluster", "--kubeconfig=", "--kind-image=", "--sticky-kubeconfig="):
        result.stdout.fnmatch_lines([f"*{option}*"])
