"""Which cluster a run uses: one place that maps ``--sticky-cluster`` to a provider."""

from __future__ import annotations

from pytest_sticky.app import StickyCluster
from pytest_sticky.options import StickyConfig


def make_cluster(config: StickyConfig) -> StickyCluster:
    if config.cluster == "existing":
        from pytest_sticky.kube.cluster import KubeCluster
        from pytest_sticky.kube.manifests import Images

        return KubeCluster(
            kubeconfig=config.kubeconfig or None,
            context=config.context or None,
            images=Images(app=config.app_image, redis=config.redis_image, pull_policy=config.image_pull_policy),
            timeout=config.timeout,
            keep=config.keep_cluster,
            grace_period=config.grace_period,
        )
    from pytest_sticky.local.cluster import LocalCluster

    return LocalCluster(proxy=config.local_proxy, app_command=config.app_command or None, ready_timeout=config.timeout)
