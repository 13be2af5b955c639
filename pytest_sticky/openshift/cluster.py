"""Placeholder until the OpenShift provider lands: see the README's status table."""

from __future__ import annotations

from pytest_sticky.app import StickyCluster
from pytest_sticky.errors import SetupError
from pytest_sticky.options import StickyConfig


def make_openshift_cluster(config: StickyConfig) -> StickyCluster:
    raise SetupError("the openshift provider is not implemented in this version")
