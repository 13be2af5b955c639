"""The ``local`` cluster: replicas as child processes behind HAProxy or Caddy, plus Redis."""

from __future__ import annotations

import shlex
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from pytest_sticky.app import AppSpec, Store
from pytest_sticky.behaviours import BEHAVIOURS, AffinityBehaviour
from pytest_sticky.errors import SetupError
from pytest_sticky.fixture_files import demo_app_script
from pytest_sticky.local.proxy import LocalProxy, choose_proxy, make_proxy
from pytest_sticky.local.redis import LocalRedis
from pytest_sticky.local.replicas import Endpoint, LocalStatefulSet


class LocalApp:
    def __init__(self, spec: AppSpec, replicas: LocalStatefulSet, proxy: LocalProxy) -> None:
        self.name = spec.name
        self.store: Store = spec.store
        self._replicas = replicas
        self._proxy = proxy
        self.url = proxy.url
        self.headers: dict[str, str] = {}
        self.cookie_name: str | None = proxy.cookie_name
        self.behaviour: AffinityBehaviour = BEHAVIOURS[proxy.kind]
        self.reached_via = f"{proxy.kind} on {proxy.url}"

    def pods(self) -> list[str]:
        return self._replicas.ready_pods()

    def pod_uid(self, pod: str) -> str:
        return self._replicas.pod(pod).uid

    def delete_pod(self, pod: str, grace_period: float) -> str:
        return self._replicas.delete_pod(pod, grace_period)

    def wait_replaced(self, pod: str, old_uid: str, timeout: float) -> str:
        return self._replicas.wait_replaced(pod, old_uid, timeout).uid

    def rolling_restart(
        self, *, partition: int, grace_period: float, timeout: float, mark: Callable[[str], None]
    ) -> list[str]:
        return self._replicas.rolling_restart(
            partition=partition, grace_period=grace_period, timeout=timeout, mark=mark
        )

    def scale_to(self, replicas: int, *, timeout: float, mark: Callable[[str], None]) -> list[str]:
        return self._replicas.scale_to(replicas, timeout=timeout, mark=mark)

    def explain_unreachable(self) -> str:
        child = self._proxy.child
        if not child.alive():
            return f"the {self._proxy.kind} proxy in front of {self.name} is not running: {child.describe_exit()}"
        return ""

    def diagnostics(self) -> dict[str, str]:
        sections = {f"{self.name} replicas": self._replicas.describe()}
        child = self._proxy.child
        sections[f"{self.name} proxy ({self._proxy.kind}, pid {child.pid})"] = (
            ("running" if child.alive() else child.describe_exit()) + "\n" + child.log_tail()
        )
        return sections

    def close(self) -> None:
        self._replicas.close()
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
    ) -> None:
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
