"""Which cluster a run uses: the registry that maps each ``--sticky-cluster`` value to a provider.

A provider is a module with a factory (``config -> StickyCluster``) and one ``PROVIDERS`` entry;
the settings only some providers understand form a ``SettingGroup`` those providers own.
``options.py`` takes the valid ``--sticky-cluster`` values from ``PROVIDERS``, each cluster's
default ``--sticky-ingress`` from its entry, and refuses a group's settings on a cluster whose
provider does not own that group. Factories and checks are ``"module:function"`` strings,
imported only when the run uses that provider.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from pytest_sticky.kube.existing import existing_cluster, existing_ingress

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_sticky.app import StickyCluster
    from pytest_sticky.options import StickyConfig

__all__ = [
    "KIND",
    "KUBERNETES",
    "LOCAL",
    "PROVIDERS",
    "Provider",
    "SettingGroup",
    "existing_cluster",
    "existing_ingress",
    "make_cluster",
    "owners",
    "setting_groups",
]


@dataclass(frozen=True)
class SettingGroup:
    """Settings (``options.SETTINGS`` names) that apply only to the clusters whose provider owns the group."""

    name: str
    settings: tuple[str, ...]
    label: str = ""
    """What a refusal calls the owners' clusters ("a Kubernetes cluster"); empty: their names only."""
    names_cluster_source: bool = False
    """A refusal names where ``--sticky-cluster`` was given (e.g. ``env STICKY_CLUSTER=kind``), not the option."""


LOCAL = SettingGroup("local", ("sticky_local_proxy", "sticky_app_command"), names_cluster_source=True)
KUBERNETES = SettingGroup(
    "kubernetes",
    (
        "sticky_kubeconfig",
        "sticky_context",
        "sticky_app_image",
        "sticky_redis_image",
        "sticky_image_pull_policy",
        "sticky_ingress",
        "sticky_ingress_url",
        "sticky_ingress_class",
        "sticky_affinity_mode",
        "sticky_ingress_manifest",
    ),
    label="a Kubernetes cluster",
)
KIND = SettingGroup("kind", ("sticky_cluster_name", "sticky_kind_image", "sticky_http_port", "sticky_https_port"))


@dataclass(frozen=True)
class Provider:
    """One value of ``--sticky-cluster``."""

    name: str
    factory: str
    """``"module:function"``: builds the cluster from the ``StickyConfig``."""
    groups: tuple[SettingGroup, ...] = ()
    """The setting groups it honours; a group no provider of the run owns is refused in ``pytest_configure``."""
    default_ingress: str = "none"
    """``--sticky-ingress`` when not given."""
    checker: str = ""
    """``"module:function"`` refusing settings this provider cannot honour (a ``SetupError``), before the factory."""
    ingress_needs_url: bool = False
    """An ingress other than ``none`` needs ``--sticky-ingress-url`` (nothing tells the provider where it listens)."""

    def check(self, config: StickyConfig) -> None:
        """The provider's own settings, checked (by its ``checker``) before anything starts."""
        if self.checker:
            _load(self.checker)(config)

    def make(self, config: StickyConfig) -> StickyCluster:
        self.check(config)
        return cast("StickyCluster", _load(self.factory)(config))


def _load(target: str) -> Callable[[StickyConfig], object]:
    module, _, function = target.partition(":")
    return cast("Callable[[StickyConfig], object]", getattr(importlib.import_module(module), function))


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("local", "pytest_sticky.local.cluster:make_local_cluster", (LOCAL,)),
        Provider(
            "kind",
            "pytest_sticky.kind.cluster:make_kind_cluster",
            (KUBERNETES, KIND),
            default_ingress="nginx",
            checker="pytest_sticky.kind.checks:check_options",
        ),
        Provider(
            "existing",
            "pytest_sticky.kube.existing:make_existing_cluster",
            (KUBERNETES,),
            ingress_needs_url=True,
        ),
        Provider("openshift", "pytest_sticky.openshift.cluster:make_openshift_cluster", (KUBERNETES,)),
    )
}
"""``--sticky-cluster`` value -> provider, in the order the help and the errors list them."""


def setting_groups() -> list[SettingGroup]:
    """Every group some provider owns, in registry order."""
    groups: list[SettingGroup] = []
    for provider in PROVIDERS.values():
        groups.extend(g for g in provider.groups if g not in groups)
    return groups


def owners(group: SettingGroup) -> list[str]:
    """The clusters whose provider owns ``group``, in registry order."""
    return [name for name, provider in PROVIDERS.items() if group in provider.groups]


def make_cluster(config: StickyConfig) -> StickyCluster:
    """The run's cluster: its provider's checks, then its factory (imported now)."""
    return PROVIDERS[config.cluster].make(config)
