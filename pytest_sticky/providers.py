"""Which cluster a run uses: one place that maps ``--sticky-cluster`` to a provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.app import StickyCluster
from pytest_sticky.options import StickyConfig

if TYPE_CHECKING:
    from pytest_sticky.kube.cluster import KubeCluster


def make_cluster(config: StickyConfig) -> StickyCluster:
    if config.cluster == "kind":
        from pytest_sticky.kind.cluster import make_kind_cluster

        return make_kind_cluster(config)
    if config.cluster == "openshift":
        from pytest_sticky.openshift.cluster import make_openshift_cluster

        return make_openshift_cluster(config)
    if config.cluster == "existing":
        return existing_cluster(config, kubeconfig=config.kubeconfig or None, context=config.context or None)
    from pytest_sticky.local.cluster import LocalCluster

    return LocalCluster(
        proxy=config.local_proxy,
        app_command=config.app_command or None,
        ready_timeout=config.timeout,
        grace_period=config.grace_period,
    )


def existing_cluster(config: StickyConfig, *, kubeconfig: str | None, context: str | None = None) -> KubeCluster:
    """The ``existing`` provider on ``kubeconfig``: also how a session that has pytest-kind(-ng)'s
    ``kind_cluster`` deploys into that cluster (README, "pytest-kind users")::

        @pytest.fixture(scope="session")
        def sticky_cluster(kind_cluster, sticky_config):
            cluster = existing_cluster(sticky_config, kubeconfig=str(kind_cluster.kubeconfig_path))
            yield cluster
            cluster.close()
    """
    from pytest_sticky.exposures.choose import existing_exposure
    from pytest_sticky.kube.cluster import KubeCluster
    from pytest_sticky.kube.manifests import Images

    cluster = KubeCluster(
        kubeconfig=kubeconfig,
        context=context,
        images=Images(app=config.app_image, redis=config.redis_image, pull_policy=config.image_pull_policy),
        timeout=config.timeout,
        keep=config.keep_cluster,
        grace_period=config.grace_period,
    )
    try:
        cluster.exposure = existing_exposure(config, cluster.kube)
    except BaseException:
        cluster.close()
        raise
    return cluster
