"""The ``local`` cluster: replicas as child processes behind HAProxy, Caddy or Envoy, plus Redis."""

from __future__ import annotations

import functools
import shlex
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_sticky.app import AppSpec, ServedPods, Store
from pytest_sticky.behaviours import BEHAVIOURS, AffinityBehaviour
from pytest_sticky.errors import MissingTool, SetupError
from pytest_sticky.fixture_files import demo_app_script
from pytest_sticky.gateway.route import Route
from pytest_sticky.local.proxy import ENVOY_PROXIES, HOW_TO_GET, LocalProxy, choose_proxy, make_proxy
from pytest_sticky.local.redis import LocalRedis
from pytest_sticky.local.replicas import Endpoint, LocalStatefulSet

if TYPE_CHECKING:
    from pytest_sticky.options import StickyConfig


class LocalApp:
    """One or more local replica sets (the backends of a route) behind one proxy."""

    def __init__(self, spec: AppSpec, replicas: LocalStatefulSet | list[LocalStatefulSet], proxy: LocalProxy) -> None:
        self.name = spec.name
        self.store: Store = spec.store
        self._sets = replicas if isinstance(replicas, list) else [replicas]
        self._proxy = proxy
        self.url = proxy.url
        self.headers: dict[str, str] = {}
        self.cookie_name: str | None = proxy.cookie_name
        self.behaviour: AffinityBehaviour = BEHAVIOURS[proxy.kind]
        self.reached_via = f"{proxy.kind} on {proxy.url}"
        self.served = ServedPods()

    def _set_of(self, pod: str) -> LocalStatefulSet:
        for replica_set in self._sets:
            if pod.rsplit("-", 1)[0] == replica_set.name:
                return replica_set
        raise SetupError(f"no replica named {pod!r}; replica sets: {[r.name for r in self._sets]}")

    def pods(self) -> list[str]:
        return [pod for replica_set in self._sets for pod in replica_set.ready_pods()]

    def pod_uid(self, pod: str) -> str:
        return self._set_of(pod).pod(pod).uid

    def delete_pod(self, pod: str, grace_period: float) -> str:
        return self._set_of(pod).delete_pod(pod, grace_period)

    def wait_replaced(self, pod: str, old_uid: str, timeout: float) -> str:
        return self._set_of(pod).wait_replaced(pod, old_uid, timeout).uid

    def rolling_restart(
        self, *, partition: int, grace_period: float, timeout: float, mark: Callable[[str], None]
    ) -> list[str]:
        return self._only_set("a rolling restart").rolling_restart(
            partition=partition, grace_period=grace_period, timeout=timeout, mark=mark
        )

    def scale_to(self, replicas: int, *, timeout: float, mark: Callable[[str], None]) -> list[str]:
        return self._only_set("scaling").scale_to(replicas, timeout=timeout, mark=mark)

    def _only_set(self, action: str) -> LocalStatefulSet:
        """The app's one StatefulSet: rollouts and scaling act on an app, not on a route of several backends."""
        if len(self._sets) != 1:
            raise SetupError(
                f"{action} needs an app with one StatefulSet; {self.name} routes to {[r.name for r in self._sets]}"
            )
        return self._sets[0]

    def explain_unreachable(self) -> str:
        child = self._proxy.child
        if not child.alive():
            return f"the {self._proxy.kind} proxy in front of {self.name} is not running: {child.describe_exit()}"
        return ""

    def diagnostics(self) -> dict[str, str]:
        sections = {f"{r.name} replicas": r.describe() for r in self._sets}
        child = self._proxy.child
        sections[f"{self.name} proxy ({self._proxy.kind}, pid {child.pid})"] = (
            ("running" if child.alive() else child.describe_exit()) + "\n" + child.log_tail()
        )
        return sections

    def close(self) -> None:
        for replica_set in self._sets:
            replica_set.close()
        self._proxy.stop()


class LocalCluster:
    name = "local"

    def __init__(
        self,
        *,
        proxy: str = "auto",
        app_command: str | None = None,
        ready_timeout: float = 30.0,
        workdir: Path | None = None,
        grace_period: float = 1.0,
    ) -> None:
        self.grace_period = grace_period
        """Seconds between SIGTERM and SIGKILL for a replica (``--sticky-grace-period``)."""
        self.proxy_kind, self.proxy_binary = choose_proxy(proxy)
        self.app_command = shlex.split(app_command) if app_command else [sys.executable, str(demo_app_script())]
        self.ready_timeout = ready_timeout
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="pytest-sticky-")
        self.workdir = workdir if workdir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._apps: list[LocalApp] = []
        self._redis: LocalRedis | None = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return f"local ({self.proxy_kind} at {self.proxy_binary})"

    def redis(self) -> LocalRedis:
        with self._lock:
            if self._redis is None:
                self._redis = LocalRedis(workdir=self.workdir, ready_timeout=self.ready_timeout)
            return self._redis

    def deploy_app(self, spec: AppSpec) -> LocalApp:
        env: dict[str, str] = {"SESSION_STORE": spec.store}
        if spec.store == "redis":
            env["REDIS_ADDR"] = self.redis().address
        proxy = make_proxy(
            self.proxy_kind, self.proxy_binary, name=spec.name, workdir=self.workdir, ready_timeout=self.ready_timeout
        )
        started = threading.Event()

        def on_change(endpoints: list[Endpoint]) -> None:
            if started.is_set():
                proxy.update(endpoints)
            else:
                proxy.start(endpoints)
                started.set()

        replicas = LocalStatefulSet(
            spec.name,
            spec.replicas,
            self.app_command,
            env=env,
            log_dir=self.workdir,
            ready_timeout=self.ready_timeout,
            on_change=on_change,
            grace_period=self.grace_period,
        )
        try:
            replicas.start()
        except BaseException:
            replicas.close()
            if started.is_set():
                proxy.stop()
            raise
        app = LocalApp(spec, replicas, proxy)
        self._apps.append(app)
        return app

    def deploy_route(self, route: Route, proxy: str | None = None) -> LocalApp:
        """Every backend of ``route`` as a replica set, behind one Envoy rendering the route's rules.

        Only the Envoy proxies render routes (rules, weights, sessionPersistence): ``proxy``
        (``envoy`` or ``envoy-ring-hash``) picks one, by default the run's; any other raises
        MissingTool naming them.
        """
        kind = proxy or self.proxy_kind
        if kind not in ENVOY_PROXIES:
            raise MissingTool(
                f"routes with several rules and sessionPersistence need --sticky-local-proxy=envoy or envoy-ring-hash "
                f"(this run uses {kind}); {HOW_TO_GET['envoy']}"
            )
        from pytest_sticky.local.envoy import find_envoy
        from pytest_sticky.local.proxy import route_envoy

        binary = self.proxy_binary if self.proxy_kind in ENVOY_PROXIES else find_envoy()
        if binary is None:
            raise MissingTool(f"{kind} is not installed: {HOW_TO_GET['envoy']}")
        envoy = route_envoy(kind, binary, route, workdir=self.workdir, ready_timeout=self.ready_timeout)
        sets: list[LocalStatefulSet] = []
        try:
            for backend in route.backends:
                replica_set = LocalStatefulSet(
                    backend.app,
                    backend.replicas,
                    self.app_command,
                    env={"SESSION_STORE": "memory"},
                    log_dir=self.workdir,
                    ready_timeout=self.ready_timeout,
                    on_change=functools.partial(envoy.set_endpoints, backend.app),
                )
                sets.append(replica_set)
                replica_set.start()
            envoy.launch()
        except BaseException:
            for replica_set in sets:
                replica_set.close()
            envoy.stop()
            raise
        app = LocalApp(AppSpec(name=route.name), sets, envoy)
        self._apps.append(app)
        return app

    def close(self) -> None:
        errors: list[str] = []
        for app in reversed(self._apps):
            try:
                app.close()
            except Exception as exc:  # noqa: BLE001 (keep closing the rest)
                errors.append(f"{app.name}: {exc}")
        self._apps.clear()
        if self._redis is not None:
            self._redis.stop()
            self._redis = None
        if self._tmp is not None:
            self._tmp.cleanup()
        if errors:
            raise SetupError("cleanup of the local cluster failed: " + "; ".join(errors))


def make_local_cluster(config: StickyConfig) -> LocalCluster:
    """The provider's factory (``PROVIDERS["local"]``): replicas as processes behind ``--sticky-local-proxy``."""
    return LocalCluster(
        proxy=config.local_proxy,
        app_command=config.app_command or None,
        ready_timeout=config.timeout,
        grace_period=config.grace_period,
    )
