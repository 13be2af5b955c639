"""The provider registry: each ``--sticky-cluster`` value's factory, settings and default ingress.

The group refusals are driven through ``options.resolve`` with a stand-in for ``pytest.Config``
(hundreds of combinations in milliseconds); a provider registered by a test is used by a real
inner pytest run (``pytester``). Expected values are written out here, never read from the code.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

from pytest_sticky import providers
from pytest_sticky.errors import SetupError
from pytest_sticky.options import StickyConfig, resolve
from pytest_sticky.providers import KUBERNETES, PROVIDERS, Provider, make_cluster
from tests.configs import sticky_config

# -- the registry --------------------------------------------------------------------------------

EXPECTED = {
    # name: (factory module, factory function, groups, default ingress)
    "local": ("pytest_sticky.local.cluster", "make_local_cluster", ["local"], "none"),
    "kind": ("pytest_sticky.kind.cluster", "make_kind_cluster", ["kubernetes", "kind"], "nginx"),
    "existing": ("pytest_sticky.kube.existing", "make_existing_cluster", ["kubernetes"], "none"),
    "openshift": ("pytest_sticky.openshift.cluster", "make_openshift_cluster", ["kubernetes"], "none"),
}


def test_the_registry_lists_the_four_clusters_in_order() -> None:
    assert list(PROVIDERS) == ["local", "kind", "existing", "openshift"]


@pytest.mark.parametrize("name", ["local", "kind", "existing", "openshift"])
def test_each_provider_names_its_factory_groups_and_default_ingress(name: str) -> None:
    module, function, groups, ingress = EXPECTED[name]
    provider = PROVIDERS[name]
    assert provider.name == name
    assert provider.factory == f"{module}:{function}"
    assert [g.name for g in provider.groups] == groups
    assert provider.default_ingress == ingress


@pytest.mark.parametrize("name", ["local", "kind", "existing", "openshift"])
def test_each_factory_imports_and_takes_the_config(name: str) -> None:
    import importlib

    module, function, _, _ = EXPECTED[name]
    factory = getattr(importlib.import_module(module), function)
    assert list(inspect.signature(factory).parameters) == ["config"]


def test_the_groups_name_these_settings() -> None:
    assert [(g.name, g.settings) for g in providers.setting_groups()] == [
        ("local", ("sticky_local_proxy", "sticky_app_command")),
        ("kubernetes", KUBE_SETTINGS),
        ("kind", ("sticky_cluster_name", "sticky_kind_image", "sticky_http_port", "sticky_https_port")),
    ]


def test_existing_cluster_stays_importable_from_providers() -> None:
    """README, "pytest-kind users": ``from pytest_sticky.providers import existing_cluster``."""
    from pytest_sticky.kube import existing
    from pytest_sticky.providers import existing_cluster, existing_ingress

    assert existing_cluster is existing.existing_cluster
    assert existing_ingress is existing.existing_ingress


def test_kind_checks_its_own_settings() -> None:
    config = sticky_config(cluster="kind", explicit=frozenset({"sticky_kubeconfig"}))
    with pytest.raises(SetupError, match=r"^--sticky-kubeconfig does not apply to --sticky-cluster=kind: "):
        PROVIDERS["kind"].check(config)
    PROVIDERS["kind"].check(sticky_config(cluster="kind"))
    for name in ("local", "existing", "openshift"):
        PROVIDERS[name].check(config)  # nothing of theirs to check


# -- a provider added by a test ------------------------------------------------------------------

CALLS: list[str] = []


class FakeCluster:
    def __init__(self, config: StickyConfig) -> None:
        self.config = config

    def redis(self) -> str:
        return "redis://fake"

    def close(self) -> None:
        CALLS.append("close")


def make_fake_cluster(config: StickyConfig) -> FakeCluster:
    CALLS.append(f"make {config.cluster}")
    return FakeCluster(config)


def check_fake(config: StickyConfig) -> None:
    CALLS.append("check")
    if config.replicas > 5:
        raise SetupError("the fake cluster holds 5 replicas at most")


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    provider = Provider(
        "fake",
        "tests.test_providers:make_fake_cluster",
        (KUBERNETES,),
        default_ingress="traefik",
        checker="tests.test_providers:check_fake",
    )
    monkeypatch.setitem(PROVIDERS, "fake", provider)
    CALLS.clear()
    yield provider
    CALLS.clear()


@pytest.mark.usefixtures("fake_provider")
def test_make_cluster_checks_then_calls_the_registered_factory() -> None:
    cluster = make_cluster(sticky_config(cluster="fake"))
    assert isinstance(cluster, FakeCluster)
    assert CALLS == ["check", "make fake"]


@pytest.mark.usefixtures("fake_provider")
def test_a_refused_check_stops_before_the_factory() -> None:
    with pytest.raises(SetupError, match="5 replicas at most"):
        make_cluster(sticky_config(cluster="fake", replicas=6))
    assert CALLS == ["check"]


@pytest.mark.usefixtures("fake_provider")
def test_a_registered_provider_is_a_valid_cluster_in_a_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fake(sticky_cluster, sticky_config):
            assert type(sticky_cluster).__name__ == "FakeCluster"
            assert sticky_config.cluster == "fake"
            assert sticky_config.ingress == "traefik"
            assert sticky_config.kubeconfig == "/tmp/kc"
        """
    )
    result = pytester.runpytest("--sticky-cluster=fake", "--sticky-kubeconfig=/tmp/kc")
    result.assert_outcomes(passed=1)
    assert CALLS == ["check", "make fake", "close"]


@pytest.mark.usefixtures("fake_provider")
def test_a_registered_provider_is_listed_and_owns_its_groups(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_never_runs(): pass")
    result = pytester.runpytest("--sticky-cluster=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*valid values: local, kind, existing, openshift, fake"])
    result = pytester.runpytest("--sticky-cluster=fake", "--sticky-http-port=8080")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--sticky-http-port only applies to --sticky-cluster=kind, not to --sticky-cluster=fake"]
    )
    assert CALLS == []
    assert resolve_error(cluster="local", sticky_context="c") == (
        "--sticky-context only applies to a Kubernetes cluster (--sticky-cluster=kind|existing|openshift|fake), "
        "not to --sticky-cluster=local"
    )


# -- each group's settings on the other clusters ---------------------------------------------------

LOCAL_SETTINGS = {"sticky_local_proxy": "caddy", "sticky_app_command": "my-app"}
KUBE_VALUES = {
    "sticky_kubeconfig": "/kc",
    "sticky_context": "ctx",
    "sticky_app_image": "app:1",
    "sticky_redis_image": "redis:1",
    "sticky_image_pull_policy": "Never",
    "sticky_ingress": "none",
    "sticky_ingress_url": "http://x/",
    "sticky_ingress_class": "c",
    "sticky_affinity_mode": "persistent",
    "sticky_ingress_manifest": "m.yaml",
}
KUBE_SETTINGS = tuple(KUBE_VALUES)
KIND_SETTINGS = {
    "sticky_cluster_name": "n",
    "sticky_kind_image": "img",
    "sticky_http_port": "80",
    "sticky_https_port": "443",
}


class _Config:
    """What ``options.resolve`` reads of a ``pytest.Config``: options (command line) and ini keys."""

    def __init__(self, cli: dict[str, str], ini: dict[str, str]) -> None:
        self.cli, self.ini = cli, ini

    def getoption(self, name: str, default: object = None) -> object:
        return self.cli.get(name, default)

    def getini(self, name: str) -> object:
        return self.ini.get(name)


def resolve_with(cluster: str, source: str = "cli", **given: str) -> StickyConfig:
    values = {"sticky_cluster": cluster, **given}
    if source == "env":
        with pytest.MonkeyPatch.context() as patch:
            for name, value in values.items():
                patch.setenv(name.upper(), value)
            return resolve(_Config({}, {}))  # type: ignore[arg-type]
    return resolve(_Config(values, {}) if source == "cli" else _Config({}, values))  # type: ignore[arg-type]


def resolve_error(cluster: str, source: str = "cli", **given: str) -> str:
    with pytest.raises(pytest.UsageError) as caught:
        resolve_with(cluster, source, **given)
    return str(caught.value)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


@pytest.mark.parametrize("cluster", ["kind", "existing", "openshift"])
@pytest.mark.parametrize(("name", "value"), list(LOCAL_SETTINGS.items()))
def test_local_settings_are_refused_on_the_other_clusters(cluster: str, name: str, value: str) -> None:
    assert resolve_error(cluster, **{name: value}) == (
        f"{_option(name)} only applies to --sticky-cluster=local, not to --sticky-cluster={cluster}"
    )
    assert resolve_error(cluster, "env", **{name: value}) == (
        f"env {name.upper()} only applies to --sticky-cluster=local, not to env STICKY_CLUSTER={cluster}"
    )
    assert resolve_error(cluster, "ini", **{name: value}) == (
        f"ini {name} only applies to --sticky-cluster=local, not to ini sticky_cluster={cluster}"
    )


@pytest.mark.parametrize("name", KUBE_SETTINGS)
def test_kubernetes_settings_are_refused_on_local(name: str) -> None:
    expected = (
        "only applies to a Kubernetes cluster (--sticky-cluster=kind|existing|openshift), not to --sticky-cluster=local"
    )
    assert resolve_error("local", **{name: KUBE_VALUES[name]}) == f"{_option(name)} {expected}"
    assert resolve_error("local", "env", **{name: KUBE_VALUES[name]}) == f"env {name.upper()} {expected}"


@pytest.mark.parametrize("cluster", ["local", "existing", "openshift"])
@pytest.mark.parametrize(("name", "value"), list(KIND_SETTINGS.items()))
def test_kind_settings_are_refused_on_the_other_clusters(cluster: str, name: str, value: str) -> None:
    assert resolve_error(cluster, **{name: value}) == (
        f"{_option(name)} only applies to --sticky-cluster=kind, not to --sticky-cluster={cluster}"
    )
    assert resolve_error(cluster, "ini", **{name: value}) == (
        f"ini {name} only applies to --sticky-cluster=kind, not to --sticky-cluster={cluster}"
    )


def test_several_settings_of_a_group_are_named_together() -> None:
    assert resolve_error("existing", sticky_http_port="80", sticky_kind_image="img") == (
        "--sticky-kind-image, --sticky-http-port only applies to --sticky-cluster=kind, "
        "not to --sticky-cluster=existing"
    )


@pytest.mark.parametrize(
    ("cluster", "given"),
    [
        ("local", LOCAL_SETTINGS),
        ("kind", {**KUBE_VALUES, **KIND_SETTINGS}),
        ("existing", KUBE_VALUES),
        ("openshift", KUBE_VALUES),
    ],
)
def test_each_cluster_takes_the_settings_of_its_groups(cluster: str, given: dict[str, str]) -> None:
    config = resolve_with(cluster, **given)
    assert config.cluster == cluster
    assert config.explicit == {"sticky_cluster", *given}


@pytest.mark.parametrize(
    ("cluster", "ingress"), [("local", "none"), ("kind", "nginx"), ("existing", "none"), ("openshift", "none")]
)
def test_the_default_ingress_is_the_providers(cluster: str, ingress: str) -> None:
    assert resolve_with(cluster).ingress == ingress


def test_existing_needs_the_ingress_url_for_an_ingress() -> None:
    assert resolve_error("existing", sticky_ingress="nginx") == (
        "--sticky-ingress=nginx with --sticky-cluster=existing needs --sticky-ingress-url "
        "(where the controller listens, as seen from this machine)"
    )
    assert resolve_with("openshift", sticky_ingress="nginx").ingress_url == ""
    assert resolve_with("existing", sticky_ingress="nginx", sticky_ingress_url="http://x/").ingress == "nginx"


COMMON = {
    "sticky_replicas": "2",
    "sticky_keep_cluster": "true",
    "sticky_timeout": "7",
    "sticky_report": "r.json",
    "sticky_strict": "true",
    "sticky_grace_period": "3",
}


@pytest.mark.parametrize("cluster", ["local", "kind", "existing", "openshift"])
def test_the_settings_of_no_group_apply_to_every_cluster(cluster: str) -> None:
    from pytest_sticky.options import SETTINGS

    grouped = {name for group in providers.setting_groups() for name in group.settings}
    assert {s.name for s in SETTINGS} - grouped == {"sticky_cluster", *COMMON}
    assert resolve_with(cluster, **COMMON).explicit == {"sticky_cluster", *COMMON}
