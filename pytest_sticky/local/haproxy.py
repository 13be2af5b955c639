"""HAProxy in front of the local replicas, configured as the OpenShift router configures a
route's backend (``cookie <name> insert indirect nocache httponly``, ``option redispatch``,
``balance random``, cookie value = md5 of the endpoint's address, cookie name = md5 of the
route key unless given).

Endpoint changes rewrite the configuration and reload HAProxy (master-worker mode, SIGUSR2
to the master we started), as the router does. Affinity lives in the client's cookie, so a
reload drops no other replica's sessions. The update returns once the new worker's runtime
API lists exactly the new servers.
"""

from __future__ import annotations

import hashlib
import signal
import socket
import time
from pathlib import Path

from pytest_sticky.errors import SetupError
from pytest_sticky.local.health import tcp_open
from pytest_sticky.local.launch import launch
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.ports import LOOPBACK
from pytest_sticky.processes import ChildProcess
from pytest_sticky.waiting import WaitAborted, WaitTimeout, wait_until

BACKEND = "be_app"
RESIGNAL_AFTER_S = 1.0


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def render_config(*, port: int, admin_socket: Path, cookie_name: str, endpoints: list[Endpoint]) -> str:
    servers = "".join(f"    server {e.pod} {e.address} cookie {md5_hex(e.address)} weight 1\n" for e in endpoints)
    return f"""\
global
    maxconn 4096
    stats socket {admin_socket} mode 600 level admin
    hard-stop-after 10s

defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
    retries 1

frontend fe_app
    bind {LOOPBACK}:{port}
    default_backend {BACKEND}

backend {BACKEND}
    balance random
    cookie {cookie_name} insert indirect nocache httponly
    option redispatch
{servers}"""


class HAProxy:
    kind = "haproxy"

    def __init__(self, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> None:
        self.binary = binary
        self.name = name
        self.workdir = workdir
        self.ready_timeout = ready_timeout
        self.cookie_name = md5_hex(f"sticky:{name}")  # the router's default: md5 of the route key
        self.config_path = workdir / f"haproxy-{name}.cfg"
        self.admin_socket = workdir / f"haproxy-{name}.sock"
        self.port = 0
        self.url = ""
        self._child: ChildProcess | None = None

    @property
    def child(self) -> ChildProcess:
        if self._child is None:
            raise SetupError("HAProxy has not been started")
        return self._child

    def _write(self, port: int, endpoints: list[Endpoint]) -> None:
        self.config_path.write_text(
            render_config(port=port, admin_socket=self.admin_socket, cookie_name=self.cookie_name, endpoints=endpoints)
        )

    def start(self, endpoints: list[Endpoint]) -> None:
        def command(port: int) -> list[str]:
            self._write(port, endpoints)
            return [self.binary, "-W", "-db", "-f", str(self.config_path)]

        self._child, self.port = launch(
            f"haproxy-{self.name}",
            command,
            healthy=lambda port: tcp_open(port) and self._servers() == _addresses(endpoints),
            log_dir=self.workdir,
            timeout=self.ready_timeout,
        )
        self.url = f"http://{LOOPBACK}:{self.port}/"

    def update(self, endpoints: list[Endpoint]) -> None:
        child = self.child
        self._write(self.port, endpoints)
        child.signal(signal.SIGUSR2)
        signalled = time.monotonic()
        wanted = _addresses(endpoints)

        def applied() -> bool:
            nonlocal signalled
            if not child.alive():
                raise WaitAborted
            if self._servers() == wanted:
                return True
            # The master re-executes itself on a reload; a SIGUSR2 that arrives before the new
            # image has installed its handlers (two reloads in quick succession, as in a rolling
            # restart) is lost. Reloading again with the same file is harmless.
            if time.monotonic() - signalled > RESIGNAL_AFTER_S:
                child.signal(signal.SIGUSR2)
                signalled = time.monotonic()
            return False

        try:
            wait_until(
                applied,
                what=f"HAProxy to route to {sorted(wanted.values()) or 'no endpoint'} after a reload",
                timeout=self.ready_timeout,
                state=lambda: f"servers seen: {self._servers()}\n{child.log_tail()}",
            )
        except WaitAborted:
            raise SetupError(f"HAProxy died during a reload: {child.describe_exit()}") from None
        except WaitTimeout as exc:
            raise SetupError(str(exc)) from None

    def _servers(self) -> dict[str, str] | None:
        """Servers of the backend as the running worker has them: name -> address."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(self.admin_socket))
                sock.sendall(f"show servers state {BACKEND}\n".encode())
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
        except OSError:
            return None
        servers: dict[str, str] = {}
        for line in data.decode(errors="replace").splitlines():
            fields = line.split()
            # be_id be_name srv_id srv_name srv_addr srv_op_state ... srv_port is field 18
            if len(fields) > 18 and fields[1] == BACKEND:
                servers[fields[3]] = f"{fields[4]}:{fields[18]}"
        return servers

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop(grace_period=2.0)


def _addresses(endpoints: list[Endpoint]) -> dict[str, str]:
    return {e.pod: e.address for e in endpoints}
