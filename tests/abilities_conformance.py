"""Checked by mypy only (not collected): each cluster and app class has the abilities the e2e suite expects of it.

``pytest_sticky.abilities`` protocols are checked at run time with ``isinstance``, which only looks
at member names; these assignments make the type checker compare the signatures too.
"""

from __future__ import annotations

from pytest_sticky.abilities import (
    HasGateway,
    HasInClusterClient,
    HasIngress,
    HasLocalProxies,
    HasRoute,
    HasRoutes,
    HasServiceAffinity,
)
from pytest_sticky.kind.cluster import KindCluster
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.cluster import KubeCluster
from pytest_sticky.local.cluster import LocalCluster
from pytest_sticky.openshift.cluster import OpenShiftApp, OpenShiftCluster


def clusters(kube: KubeCluster, kind: KindCluster, openshift: OpenShiftCluster, local: LocalCluster) -> None:
    in_cluster: list[HasInClusterClient] = [kube, kind, openshift]
    ingress: list[HasIngress] = [kube, kind]
    gateway: list[HasGateway] = [kube, kind, local]
    proxies: HasLocalProxies = local
    routes: HasRoutes = openshift
    del in_cluster, ingress, gateway, proxies, routes


def apps(kube_app: KubeApp, openshift_app: OpenShiftApp) -> None:
    service: list[HasServiceAffinity] = [kube_app, openshift_app]
    route: HasRoute = openshift_app
    del service, route
