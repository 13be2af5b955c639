"""The pytest plugin: options, markers, report header, fixtures and failure sections.

Loading this module must stay cheap (it is imported by every pytest run of a repository
that installed pytest-sticky): heavy imports happen inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_sticky import options, progress

if TYPE_CHECKING:
    from requests.cookies import RequestsCookieJar

    from pytest_sticky.app import StickyApp, StickyCluster
    from pytest_sticky.client import RequestRecord
    from pytest_sticky.evidence import FailoverEvidence
    from pytest_sticky.failover import KilledPod
    from pytest_sticky.load.evidence import LoadEvidence
    from pytest_sticky.load.result import LoadResult

T = TypeVar("T")
CONFIG_KEY = pytest.StashKey["options.StickyConfig"]()
RECORDS_KEY = pytest.StashKey[list[tuple[str, "list[RequestRecord]"]]]()
APPS_KEY = pytest.StashKey[list["StickyApp"]]()
FAILOVERS_KEY = pytest.StashKey[list["FailoverEvidence"]]()
PROGRESS_KEY = pytest.StashKey["progress.TerminalProgress"]()
LOADS_KEY = pytest.StashKey[list["LoadEvidence"]]()

MARKERS = {
    "sticky_cluster": (
        "sticky_cluster(*names): run the test only on these cluster types "
        f"({', '.join(options.CLUSTERS)}); elsewhere it is skipped, naming them"
    ),
    "sticky_redis": "sticky_redis: the test needs a Redis session store (skipped, saying how to get one, without)",
    "sticky_cookie": (
        "sticky_cookie: the test needs cookie affinity (a local proxy, an ingress or a route); "
        "skipped, naming the path used, where the app is reached through a Service"
    ),
}


# -- configuration -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for text in MARKERS.values():
        config.addinivalue_line("markers", text)
    config.stash[CONFIG_KEY] = options.resolve(config)
    from pytest_sticky.reporting import EvidenceCollector

    config.pluginmanager.register(EvidenceCollector(config, config.stash[CONFIG_KEY]), "sticky-evidence")
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None and not hasattr(config, "workerinput"):
        printer = progress.TerminalProgress(terminal, live=terminal.isatty())
        config.stash[PROGRESS_KEY] = printer
        progress.attach(printer)


def pytest_unconfigure(config: pytest.Config) -> None:
    printer = config.stash.get(PROGRESS_KEY, None)
    if printer is not None:
        progress.detach(printer)
        printer.close()


def pytest_report_header(config: pytest.Config) -> str:
    from pytest_sticky.environment import describe

    return describe(config.stash[CONFIG_KEY])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("sticky_cluster")
    if marker is not None:
        cluster = item.config.stash[CONFIG_KEY].cluster
        if cluster not in marker.args:
            from pytest_sticky.capabilities import other_cluster

            other_cluster(f"runs on --sticky-cluster={'|'.join(marker.args)}; this run uses --sticky-cluster={cluster}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and call.excinfo is not None:
        from pytest_sticky.capabilities import tag

        tag(report, call.excinfo.value, strict=item.config.stash[CONFIG_KEY].strict)
    if call.when == "call":
        _attach_evidence(item, report)
    if report.failed:
        from pytest_sticky.trace import format_trace

        for label, records in item.stash.get(RECORDS_KEY, []):
            report.sections.append((f"sticky requests: {label}", format_trace(records)))
        for app in item.stash.get(APPS_KEY, []):
            try:
                for title, text in app.diagnostics().items():
                    report.sections.append((f"sticky: {title}", text))
            except Exception as exc:  # noqa: BLE001 (diagnostics must not hide the failure)
                report.sections.append(("sticky diagnostics", f"could not collect: {exc}"))
    return report


def _attach_evidence(item: pytest.Item, report: pytest.TestReport) -> None:
    traces = item.stash.get(RECORDS_KEY, [])
    loads = item.stash.get(LOADS_KEY, [])
    if not traces and not loads:
        return
    from pytest_sticky.evidence import TestEvidence, to_report

    apps = item.stash.get(APPS_KEY, [])
    failovers: list[FailoverEvidence] = item.stash.get(FAILOVERS_KEY, [])
    evidence = TestEvidence.collect(
        traces,
        failovers,
        cookie_names=[app.cookie_name for app in apps if app.cookie_name],
        reached_via=[app.reached_via for app in apps],
        loads=loads,
    )
    report.user_properties.append(to_report(evidence))


# -- fixtures ------------------------------------------------------------------------------------


def _or_fail(action: Callable[[], T], cluster: str = "") -> T:
    """Run ``action``; turn pytest-sticky's errors into a failure that shows only the message.

    A cluster that cannot be had is an error too, never a skip: ``--sticky-cluster`` asked for
    it, and a run that skipped everything would exit 0. Raised outside the ``except`` block, so
    pytest prints no "During handling of the above exception" chain."""
    from pytest_sticky.errors import ClusterUnavailable, StickyError

    try:
        return action()
    except ClusterUnavailable as exc:
        message = f"--sticky-cluster={cluster} was asked for but cannot be used: {exc}"
    except StickyError as exc:
        message = str(exc)
    pytest.fail(f"pytest-sticky: {message}", pytrace=False)


@pytest.fixture(autouse=True)
def _sticky_requirements(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("sticky_cookie") is None:
        return
    app: StickyApp = request.getfixturevalue("sticky_app")
    if app.cookie_name is None:
        from pytest_sticky.capabilities import missing, no_cookie_affinity

        missing(no_cookie_affinity(app, "this test (marked sticky_cookie)"))


@pytest.fixture(scope="session")
def sticky_config(pytestconfig: pytest.Config) -> options.StickyConfig:
    """The resolved pytest-sticky settings."""
    return pytestconfig.stash[CONFIG_KEY]


@pytest.fixture(scope="session")
def sticky_cluster(sticky_config: options.StickyConfig) -> Iterator[StickyCluster]:
    """The cluster the app runs on (``.name`` is the cluster type); torn down after the run."""
    from pytest_sticky.providers import make_cluster

    cluster = _or_fail(lambda: make_cluster(sticky_config), sticky_config.cluster)
    try:
        yield cluster
    finally:
        _or_fail(cluster.close, sticky_config.cluster)


def _deploy(cluster: StickyCluster, name: str, replicas: int, store: str) -> StickyApp:
    from pytest_sticky.app import AppSpec

    return _or_fail(lambda: cluster.deploy_app(AppSpec(name=name, replicas=replicas, store=store)))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sticky_app(sticky_cluster: StickyCluster, sticky_config: options.StickyConfig) -> StickyApp:
    """The demo app with in-memory sessions; ``.url`` goes through the proxy/ingress/route."""
    return _deploy(sticky_cluster, "hello", sticky_config.replicas, "memory")


@pytest.fixture(scope="session")
def sticky_app_redis(sticky_cluster: StickyCluster, sticky_config: options.StickyConfig) -> StickyApp:
    """The demo app with its sessions in Redis (without Redis: a missing capability, saying how to get it)."""
    from pytest_sticky.errors import MissingTool

    try:
        sticky_cluster.redis()
    except MissingTool as exc:
        message = str(exc)
    else:
        return _deploy(sticky_cluster, "hello-redis", sticky_config.replicas, "redis")
    from pytest_sticky.capabilities import missing

    missing(f"needs a Redis session store: {message}")


@pytest.fixture
def cookie_jar() -> RequestsCookieJar:
    """A fresh, empty cookie jar."""
    from requests.cookies import RequestsCookieJar

    return RequestsCookieJar()


def _recorder(item: pytest.Item) -> Callable[[str, list[RequestRecord]], None]:
    def record(label: str, records: list[RequestRecord]) -> None:
        item.stash.setdefault(RECORDS_KEY, []).append((label, records))

    return record


def _watch(item: pytest.Item, app: StickyApp) -> None:
    apps = item.stash.setdefault(APPS_KEY, [])
    if app not in apps:
        apps.append(app)


@pytest.fixture
def sticky_recorder(request: pytest.FixtureRequest) -> Callable[[str, list[RequestRecord]], None]:
    """Attach request records to the test's report (shown when it fails)."""
    return _recorder(request.node)


@pytest.fixture(name="assert_sticky")
def assert_sticky_fixture(request: pytest.FixtureRequest, sticky_app: StickyApp) -> Callable[..., str]:
    """``assert_sticky(cookie_jar, requests=20, app=sticky_app)``: bound to ``sticky_app``."""
    from pytest_sticky.assertions import assert_sticky

    def bound(cookie_jar: RequestsCookieJar, requests: int = 20, *, app: StickyApp | None = None, **kw: Any) -> str:
        target = app or sticky_app
        _watch(request.node, target)
        if target.cookie_name is None:
            # the plugin knows the path: say so, instead of the negative control's guess
            from pytest_sticky.capabilities import missing, no_cookie_affinity

            missing(no_cookie_affinity(target, "assert_sticky"))
        kw.setdefault("headers", target.headers)  # a Host header when an ingress or router routes by host
        kw.setdefault("served", target.served)  # for kill_serving_pod() without a jar
        return assert_sticky(
            cookie_jar,
            url=target.url,
            requests=requests,
            explain=target.explain_unreachable,
            on_records=_recorder(request.node),
            **kw,
        )

    return bound


@pytest.fixture(name="assert_spread")
def assert_spread_fixture(request: pytest.FixtureRequest, sticky_app: StickyApp) -> Callable[..., dict[str, int]]:
    """``assert_spread(requests=None, app=sticky_app)``: cookie-less requests reach every ready pod."""
    from pytest_sticky.assertions import assert_spread

    def bound(requests: int | None = None, *, app: StickyApp | None = None, **kw: Any) -> dict[str, int]:
        target = app or sticky_app
        _watch(request.node, target)
        kw.setdefault("headers", target.headers)
        kw.setdefault("served", target.served)
        return assert_spread(
            url=target.url,
            pods=target.pods(),
            requests=requests,
            explain=target.explain_unreachable,
            on_records=_recorder(request.node),
            **kw,
        )

    return bound


@pytest.fixture(name="kill_serving_pod")
def kill_serving_pod_fixture(
    request: pytest.FixtureRequest, sticky_app: StickyApp, sticky_config: options.StickyConfig
) -> Callable[..., KilledPod]:
    """``kill_serving_pod(cookie_jar=None, app=sticky_app)``: bound to ``sticky_app``; the pod
    gets ``--sticky-grace-period`` seconds between SIGTERM and SIGKILL."""
    from pytest_sticky.evidence import FailoverEvidence
    from pytest_sticky.failover import kill_serving_pod

    def bound(cookie_jar: RequestsCookieJar | None = None, *, app: StickyApp | None = None, **kw: Any) -> KilledPod:
        target = app or sticky_app
        _watch(request.node, target)
        kw.setdefault("grace_period", sticky_config.grace_period)
        killed = kill_serving_pod(cookie_jar, app=target, on_records=_recorder(request.node), **kw)
        request.node.stash.setdefault(FAILOVERS_KEY, []).append(FailoverEvidence.of(killed))
        return killed

    return bound


@pytest.fixture(name="sticky_load")
def sticky_load_fixture(request: pytest.FixtureRequest, sticky_app: StickyApp) -> Callable[..., LoadResult]:
    """``sticky_load(browsers=20, rate=200, duration=10, action=None, app=sticky_app, ...)``: concurrent
    browsers during an action (``pytest_sticky.RollingRestart``, ``ScaleTo``, ``KillPod``); the run's
    table row and timeline go to the terminal summary and the report."""
    from pytest_sticky.load.evidence import condense
    from pytest_sticky.load.run import sticky_load

    def bound(*, app: StickyApp | None = None, label: str | None = None, **kw: Any) -> LoadResult:
        __tracebackhide__ = True
        target = app or sticky_app
        _watch(request.node, target)
        loads = request.node.stash.setdefault(LOADS_KEY, [])
        name = label or f"{target.name} #{len(loads) + 1}"

        def keep(result: LoadResult) -> None:
            loads.append(condense(name, result))

        return sticky_load(target, on_result=keep, **kw)

    return bound
