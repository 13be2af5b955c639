"""Resolved settings for tests that drive a provider directly (without a pytest run)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pytest_sticky.options import StickyConfig

LAB_IMAGES = {"app_image": "sticky-lab/python:3", "redis_image": "sticky-lab/redis:7"}

_DEFAULTS = StickyConfig(
    cluster="local",
    replicas=2,
    keep_cluster=False,
    local_proxy="auto",
    app_command="",
    timeout=60,
    report="",
    strict=False,
    kubeconfig="",
    context="",
    image_pull_policy="IfNotPresent",
    grace_period=1,
    ingress="none",
    ingress_url="",
    ingress_class="",
    affinity_mode="balanced",
    ingress_manifest="",
    cluster_name="pytest-sticky",
    kind_image="",
    http_port=0,
    https_port=0,
    explicit=frozenset(),
    **LAB_IMAGES,
)


def sticky_config(**changes: Any) -> StickyConfig:
    """The settings pytest-sticky would resolve, with ``changes`` (the devcluster's images by default)."""
    return replace(_DEFAULTS, **changes)
