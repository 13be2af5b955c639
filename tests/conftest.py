"""Shared fixtures: a clean STICKY_* environment and PATHs that hide chosen programs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_sticky.kube.connection import Kube
from tests.tools import need_tool


@pytest.fixture(autouse=True)
def _no_sticky_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin reads STICKY_*; a developer's or tox's settings must not leak into the tests."""
    for name in list(os.environ):
        if name.startswith("STICKY_"):
            monkeypatch.delenv(name)
    # inner runs must not append their tables to a real GitHub job summary
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    yield


@pytest.fixture
def path_with(tmp_path: Path) -> Callable[..., str]:
    """``path_with("haproxy")``: a PATH that holds only Python and the named programs."""

    def make(*tools: str) -> str:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "python").symlink_to(sys.executable)
        for tool in tools:
            (bin_dir / tool).symlink_to(need_tool(tool))
        return str(bin_dir)

    return make


@pytest.fixture(params=["haproxy", "caddy"])
def proxy(request: pytest.FixtureRequest) -> str:
    """Each local proxy in turn (skipped when it is not installed)."""
    name: str = request.param
    need_tool(name)
    return name


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Inner runs load pytest-sticky by its entry-point name and no other installed plugin.

    Faster (an in-process run otherwise re-imports every third-party plugin each time) and
    independent of what else is installed. ``test_markers.py`` checks the autoloaded case.
    """
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p sticky")
    return pytester


@pytest.fixture(scope="module")
def kubeconfig() -> str:
    """The Kubernetes 1.20 devcluster's kubeconfig (a skip that says how to start it when it is down)."""
    from tests.devcluster import devcluster_kubeconfig

    return devcluster_kubeconfig()


@pytest.fixture(scope="module")
def admin(kubeconfig: str) -> Iterator[Kube]:
    """An admin connection to the devcluster, for checks behind the plugin's back."""
    from pytest_sticky.kube.connection import connect
    from tests.devcluster import CONTEXT

    kube = connect(kubeconfig, CONTEXT)
    yield kube
    kube.close()
