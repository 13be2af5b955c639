"""The plugin's settings: each a command-line option, an ini key and an environment variable.

Precedence: command line, then ini file, then environment, then the default. Values are
checked once, in ``pytest_configure``; a bad one is a ``pytest.UsageError`` that names the
valid values (pytest exits with code 4, without a traceback).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_sticky.providers import PROVIDERS, owners, setting_groups

if TYPE_CHECKING:
    import pytest

CLUSTERS = PROVIDERS.keys()
"""The values of ``--sticky-cluster``: a live view of the registry (a provider added there is valid here)."""
PULL_POLICIES = ("IfNotPresent", "Never", "Always")
INGRESSES = ("", "nginx", "traefik", "gateway", "none")
AFFINITY_MODES = ("balanced", "persistent")
LOCAL_PROXIES = ("auto", "haproxy", "caddy", "envoy", "envoy-ring-hash")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Setting:
    name: str
    """ini key, and the option's dest."""
    help: str
    default: str
    choices: Collection[str] = ()
    flag: bool = False

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return self.name.upper()


SETTINGS = (
    Setting("sticky_cluster", "where the app runs", "local", CLUSTERS),
    Setting("sticky_replicas", "replicas of the demo app (at least 1)", "3"),
    Setting("sticky_keep_cluster", "keep (and reuse next time) what was created", "false", flag=True),
    Setting("sticky_local_proxy", "proxy of the local cluster", "auto", LOCAL_PROXIES),
    Setting(
        "sticky_app_command",
        "command of each local replica (gets PORT and POD_NAME in its environment; default: the bundled demo app)",
        "",
    ),
    Setting("sticky_timeout", "seconds to wait for the cluster, proxies and pods to be ready", "60"),
    Setting("sticky_report", "write the run's evidence to PATH (.json or .md)", ""),
    Setting(
        "sticky_strict",
        "a test that cannot run for a capability the run's cluster lacks (cookie affinity, an ingress, Redis) "
        "fails instead of skipping",
        "false",
        flag=True,
    ),
    Setting("sticky_kubeconfig", "kubeconfig file (default: KUBECONFIG, then ~/.kube/config)", ""),
    Setting(
        "sticky_context",
        "kubeconfig context; without it the current-context is used only if its name marks a test cluster",
        "",
    ),
    Setting("sticky_app_image", "image that runs the demo app (a stock Python image)", "python:3.12-slim"),
    Setting("sticky_redis_image", "image that runs Redis", "redis:7-alpine"),
    Setting("sticky_image_pull_policy", "imagePullPolicy of the pods", "IfNotPresent", PULL_POLICIES),
    Setting("sticky_grace_period", "terminationGracePeriodSeconds of the app's pods", "1"),
    Setting(
        "sticky_ingress",
        "how the tests reach the app: an ingress controller, a Gateway API Gateway, or none (the Service); "
        "default: nginx on kind, none on existing",
        "",
        INGRESSES,
    ),
    Setting(
        "sticky_ingress_url",
        "where the ingress controller (existing) or the OpenShift router listens, e.g. http://127.0.0.1:8080/",
        "",
    ),
    Setting("sticky_ingress_class", "ingressClassName of the app's Ingress (default: nginx)", ""),
    Setting("sticky_affinity_mode", "ingress-nginx affinity-mode", "balanced", AFFINITY_MODES),
    Setting("sticky_ingress_manifest", "install the ingress controller from this file instead of downloading it", ""),
    Setting("sticky_cluster_name", "name of the kind cluster", "pytest-sticky"),
    Setting("sticky_kind_image", "kind node image (default: the kind release's own)", ""),
    Setting("sticky_http_port", "host port mapped to the kind node's port 80 (0: a free one)", "0"),
    Setting("sticky_https_port", "host port mapped to the kind node's port 443 (0: a free one)", "0"),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class StickyConfig:
    cluster: str
    replicas: int
    keep_cluster: bool
    local_proxy: str
    app_command: str
    timeout: float
    report: str
    strict: bool
    """``--sticky-strict``: a missing capability fails the test instead of skipping it."""
    kubeconfig: str
    context: str
    app_image: str
    redis_image: str
    image_pull_policy: str
    grace_period: int
    ingress: str
    """``nginx``, ``traefik`` or ``none`` (resolved per cluster type)."""
    ingress_url: str
    ingress_class: str
    affinity_mode: str
    ingress_manifest: str
    cluster_name: str
    kind_image: str
    http_port: int
    https_port: int
    explicit: frozenset[str]
    """Settings the user gave (on the command line, in the ini file or the environment)."""


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("sticky", "pytest-sticky: sticky sessions on Kubernetes, OpenShift and locally")
    for s in SETTINGS:
        choices = f" ({'|'.join(s.choices)})" if s.choices else ""
        help_text = f"{s.help}{choices}; ini {s.name}, env {s.env}; default {s.default or 'none'}"
        if s.flag:
            group.addoption(s.option, action="store_const", const="true", default=None, dest=s.name, help=help_text)
        else:
            group.addoption(s.option, action="store", default=None, dest=s.name, metavar="VALUE", help=help_text)
        parser.addini(s.name, help_text, default=None)


def raw_value(config: pytest.Config, setting: Setting) -> tuple[str, str | None]:
    """(value, where it came from); where is None for the default."""
    value = config.getoption(setting.name, default=None)
    if value is not None:
        return str(value), setting.option
    ini = config.getini(setting.name)
    if ini not in (None, "", []):
        return str(ini).strip(), f"ini {setting.name}"
    env = os.environ.get(setting.env)
    if env is not None:
        return env.strip(), f"env {setting.env}"
    return setting.default, None


@dataclass(frozen=True)
class RawValues:
    """Every setting's text as given (or its default), and where each given one came from."""

    values: dict[str, str]
    sources: dict[str, str]
    """Setting name -> where it was given (``--sticky-...``, ``ini ...``, ``env ...``); absent: the default."""

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def where(self, name: str) -> str:
        return self.sources.get(name, BY_NAME[name].option)

    def given(self, names: tuple[str, ...]) -> list[str]:
        """Those of ``names`` the user gave."""
        return [n for n in names if n in self.sources]

    def number(self, name: str, kind: type[int] | type[float], minimum: float) -> float:
        import pytest

        try:
            parsed = kind(self.values[name])
        except ValueError:
            what = "whole number" if kind is int else "number"
            raise pytest.UsageError(
                f"{self.where(name)}: {self.values[name]!r} is not a {what}; valid values: {what}s of at least "
                f"{minimum:g}"
            ) from None
        if parsed < minimum:
            raise pytest.UsageError(f"{self.where(name)}: must be at least {minimum:g}, not {self.values[name]}")
        return parsed

    def boolean(self, name: str) -> bool:
        import pytest

        value = self.values[name].lower()
        if value not in TRUE_WORDS + FALSE_WORDS:
            raise pytest.UsageError(
                f"{self.where(name)}: {value!r} is not a boolean; valid values: "
                f"{', '.join(TRUE_WORDS + FALSE_WORDS[:-1])}"
            )
        return value in TRUE_WORDS


def read_values(config: pytest.Config) -> RawValues:
    """Every setting's value, each checked against its choices."""
    import pytest

    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        value, source = raw_value(config, s)
        values[s.name] = value
        if source is not None:
            sources[s.name] = source
        if s.choices and value not in s.choices:
            raise pytest.UsageError(
                f"{source or s.option}: unknown value {value!r}; valid values: {', '.join(s.choices)}"
            )
    return RawValues(values, sources)


def _cluster(v: RawValues) -> str:
    """``--sticky-cluster``, without settings of a group its provider does not own."""
    import pytest

    cluster = v["sticky_cluster"]
    for group in setting_groups():
        given = v.given(group.settings)
        if not given or group in PROVIDERS[cluster].groups:
            continue
        clusters = f"--sticky-cluster={'|'.join(owners(group))}"
        applies_to = f"{group.label} ({clusters})" if group.label else clusters
        this = v.where("sticky_cluster") if group.names_cluster_source else "--sticky-cluster"
        raise pytest.UsageError(
            f"{', '.join(v.where(n) for n in given)} only applies to {applies_to}, not to {this}={cluster}"
        )
    return cluster


def _report(v: RawValues) -> str:
    import pytest

    report = v["sticky_report"]
    if report and not report.endswith((".json", ".md")):
        raise pytest.UsageError(f"{v.where('sticky_report')}={report}: the report's name must end in .json or .md")
    return report


def _ingress(v: RawValues, cluster: str) -> str:
    """``--sticky-ingress`` resolved per cluster type (its provider's default ingress when not given)."""
    import pytest

    ingress = v["sticky_ingress"] or PROVIDERS[cluster].default_ingress
    if PROVIDERS[cluster].ingress_needs_url and ingress != "none" and not v["sticky_ingress_url"]:
        raise pytest.UsageError(
            f"{v.where('sticky_ingress')}={ingress} with --sticky-cluster={cluster} needs --sticky-ingress-url "
            "(where the controller listens, as seen from this machine)"
        )
    return ingress


def resolve(config: pytest.Config) -> StickyConfig:
    v = read_values(config)
    keep = v.boolean("sticky_keep_cluster")
    strict = v.boolean("sticky_strict")
    cluster = _cluster(v)
    report = _report(v)
    ingress = _ingress(v, cluster)
    return StickyConfig(
        cluster=cluster,
        replicas=int(v.number("sticky_replicas", int, 1)),
        keep_cluster=keep,
        local_proxy=v["sticky_local_proxy"],
        app_command=v["sticky_app_command"],
        timeout=v.number("sticky_timeout", float, 1),
        report=report,
        strict=strict,
        kubeconfig=v["sticky_kubeconfig"],
        context=v["sticky_context"],
        app_image=v["sticky_app_image"],
        redis_image=v["sticky_redis_image"],
        image_pull_policy=v["sticky_image_pull_policy"],
        grace_period=int(v.number("sticky_grace_period", int, 0)),
        ingress=ingress,
        ingress_url=v["sticky_ingress_url"],
        ingress_class=v["sticky_ingress_class"],
        affinity_mode=v["sticky_affinity_mode"],
        ingress_manifest=v["sticky_ingress_manifest"],
        cluster_name=v["sticky_cluster_name"],
        kind_image=v["sticky_kind_image"],
        http_port=int(v.number("sticky_http_port", int, 0)),
        https_port=int(v.number("sticky_https_port", int, 0)),
        explicit=frozenset(v.sources),
    )
