"""The ``existing`` provider: a Kubernetes cluster the user points at with a kubeconfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_sticky.kube.cluster import KubeCluster
    from pytest_sticky.kube.ingress import IngressRoute
    from pytest_sticky.options import StickyConfig


def make_existing_cluster(config: StickyConfig) -> KubeCluster:
    """The provider's factory (``PROVIDERS["existing"]``): the cluster ``--sticky-kubeconfig`` names."""
    return existing_cluster(config, kubeconfig=config.kubeconfig or None, context=config.context or None)


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
        # the way in: --sticky-ingress's, else the cluster's own IngressClass if its controller answers
        cluster.exposure = existing_exposure(config, cluster.kube)
    except BaseException:
        cluster.close()
        raise
    return cluster


def existing_ingress(config: StickyConfig) -> IngressRoute | None:
    """The ingress an ``existing`` cluster is reached through, from the options (None: the Service)."""
    from pytest_sticky.exposures.choose import configured_ingress

    return configured_ingress(config)
