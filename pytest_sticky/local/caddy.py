"""Caddy in front of the local replicas: ``reverse_proxy`` with ``lb_policy cookie``.

Caddy's documented defaults are kept: cookie ``lb``, value HMAC-SHA256 of the upstream's dial
address, ``Path=/; HttpOnly; SameSite=Lax``; an unknown cookie falls back to a random upstream
and gets a new cookie. Endpoint changes go through Caddy's admin API (``POST /load``), which
applies a new configuration gracefully and answers once it is in force.

The listening socket is ours, handed to Caddy as ``fd/N``. Given a TCP address, Caddy binds a
new socket with SO_REUSEPORT at every configuration load and closes the old one
(caddyserver/caddy ``listen_unix.go``, ``listenReusable``/``reusePort``); Linux resets the
connections still queued on a closed SO_REUSEPORT socket (unless ``net.ipv4.tcp_migrate_req``
is 1), so a browser that connected in that instant saw ``Connection reset by peer`` in about
one rolling restart in five. With one inherited socket, every load serves the same queue.
"""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.local.health import tcp_open
from pytest_sticky.local.launch import launch
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.ports import LOOPBACK, pick_free_port
from pytest_sticky.processes import ChildProcess

COOKIE_NAME = "lb"
ADMIN_ATTEMPTS = 3
"""Tries of one configuration load whose connection Caddy's admin endpoint reset (see ``Caddy.update``)."""


def render_config(*, listen: str, admin_port: int, endpoints: list[Endpoint]) -> dict[str, Any]:
    return {
        "admin": {"listen": f"{LOOPBACK}:{admin_port}"},
        "logging": {"logs": {"default": {"level": "WARN"}}},
        "apps": {
            "http": {
                "servers": {
                    "sticky": {
                        "listen": [listen],
                        "automatic_https": {"disable": True},
                        "routes": [
                            {
                                "handle": [
                                    {
                                        "handler": "reverse_proxy",
                                        "upstreams": [{"dial": e.address} for e in endpoints],
                                        "load_balancing": {
                                            "selection_policy": {
                                                "policy": "cookie",
                                                "name": COOKIE_NAME,
                                                "fallback": {"policy": "random"},
                                            },
                                            "retries": 2,
                                        },
                                        "health_checks": {"passive": {"fail_duration": "2s", "max_fails": 1}},
                                    }
                                ]
                            }
                        ],
                    }
                }
            }
        },
    }


class Caddy:
    kind = "caddy"

    def __init__(self, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> None:
        self.binary = binary
        self.name = name
        self.workdir = workdir
        self.ready_timeout = ready_timeout
        self.cookie_name = COOKIE_NAME
        self.config_path = workdir / f"caddy-{name}.json"
        self.port = 0
        self.listen = ""
        """Caddy's listen address: ``fd/N``, the socket handed over at start."""
        self.admin_port = 0
        self.url = ""
        self._child: ChildProcess | None = None

    @property
    def child(self) -> ChildProcess:
        if self._child is None:
            raise SetupError("Caddy has not been started")
        return self._child

    def start(self, endpoints: list[Endpoint]) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((LOOPBACK, 0))
            listener.listen(socket.SOMAXCONN)
            bound_port = listener.getsockname()[1]
            self.listen = f"fd/{listener.fileno()}"

            def command(port: int) -> list[str]:
                self.admin_port = pick_free_port()
                config = render_config(listen=self.listen, admin_port=self.admin_port, endpoints=endpoints)
                self.config_path.write_text(json.dumps(config, indent=1))
                return [self.binary, "run", "--config", str(self.config_path)]

            self._child, self.port = launch(
                f"caddy-{self.name}",
                command,
                env=lambda port: {
                    "HOME": str(self.workdir),
                    "XDG_DATA_HOME": str(self.workdir / "data"),
                    "XDG_CONFIG_HOME": str(self.workdir / "config"),
                },
                healthy=self._serving,
                log_dir=self.workdir,
                timeout=self.ready_timeout,
                pick=lambda: bound_port,  # a retry (the admin port was taken) keeps the socket
                pass_fds=(listener.fileno(),),
            )
        finally:
            listener.close()  # Caddy holds its own copy
        self.url = f"http://{LOOPBACK}:{self.port}/"

    def _serving(self, port: int) -> bool:
        """Our Caddy has loaded our configuration (so it serves the socket on ``port``) and the port answers.

        Asking the admin API, not just the port, keeps another program that holds the port
        from passing for a healthy Caddy.
        """
        try:
            conn = http.client.HTTPConnection(LOOPBACK, self.admin_port, timeout=1.0)
            try:
                conn.request("GET", "/config/apps/http/servers/sticky/listen")
                response = conn.getresponse()
                listen = json.loads(response.read() or b"null") if response.status == 200 else None
            finally:
                conn.close()
        except (OSError, ValueError):
            return False
        return listen == [self.listen] and tcp_open(port)

    def update(self, endpoints: list[Endpoint]) -> None:
        """Load the configuration with ``endpoints``; it is in force when this returns.

        Caddy also binds its admin endpoint anew at every load and closes the old one in the
        background (caddyserver/caddy v2.11.4 ``admin.go`` lines 374-421), so the next load can
        connect to the closing socket and be reset before Caddy read it: that load is sent again,
        once per reset, up to ``ADMIN_ATTEMPTS`` times (loading a configuration twice is harmless).
        """
        child = self.child
        body = json.dumps(render_config(listen=self.listen, admin_port=self.admin_port, endpoints=endpoints))
        for attempt in range(1, ADMIN_ATTEMPTS + 1):
            try:
                status, answer = self._post_load(body)
                break
            except ConnectionResetError:
                if attempt == ADMIN_ATTEMPTS or not child.alive():
                    raise SetupError(
                        f"Caddy's admin API on port {self.admin_port} reset {attempt} connections in a row\n"
                        + self._state()
                    ) from None
            except OSError as exc:
                raise SetupError(
                    f"Caddy's admin API on port {self.admin_port} did not answer: {exc}\n{self._state()}"
                ) from None
        if status != 200:
            raise SetupError(f"Caddy refused the new upstreams ({status}): {answer}")

    def _state(self) -> str:
        child = self.child
        return child.describe_exit() if not child.alive() else child.log_tail()

    def _post_load(self, body: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection(LOOPBACK, self.admin_port, timeout=self.ready_timeout)
        try:
            conn.request("POST", "/load", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            conn.close()

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop(grace_period=2.0)
