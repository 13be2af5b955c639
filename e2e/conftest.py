"""Fixtures of the e2e suite that go beyond the plugin's public ones."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_sticky.app import AppSpec, StickyApp, StickyCluster


@pytest.fixture(scope="session")
def affinity_app(sticky_cluster: StickyCluster) -> StickyApp:
    """A second copy of the demo app whose Service affinity the tests may switch."""
    return sticky_cluster.deploy_app(AppSpec(name="hello-affinity", replicas=3))


@pytest.fixture(scope="session")
def incluster(sticky_cluster: Any) -> Any:
    """A client pod to send requests from inside the cluster (Kubernetes clusters only)."""
    return sticky_cluster.client()
