"""Fixtures of the e2e suite that go beyond the plugin's public ones."""

from __future__ import annotations

import pytest

from pytest_sticky.abilities import HasInClusterClient, HasServiceAffinity
from pytest_sticky.app import AppSpec, StickyCluster
from pytest_sticky.capabilities import other_cluster
from pytest_sticky.kube.incluster import InClusterClient


@pytest.fixture(scope="session")
def affinity_app(sticky_cluster: StickyCluster) -> HasServiceAffinity:
    """A second copy of the demo app whose Service affinity the tests may switch."""
    app = sticky_cluster.deploy_app(AppSpec(name="hello-affinity", replicas=3))
    if not isinstance(app, HasServiceAffinity):
        other_cluster(f"needs an app behind a Kubernetes Service; this run uses --sticky-cluster={sticky_cluster.name}")
    return app


@pytest.fixture(scope="session")
def incluster(sticky_cluster: StickyCluster) -> InClusterClient:
    """A client pod to send requests from inside the cluster (Kubernetes clusters only)."""
    if not isinstance(sticky_cluster, HasInClusterClient):
        other_cluster(f"needs a client pod inside the cluster; this run uses --sticky-cluster={sticky_cluster.name}")
    return sticky_cluster.client()
