"""A configuration load whose admin connection Caddy reset is sent again, a bounded number of times.

Caddy binds its admin endpoint anew at every load and closes the old socket in the background, so
a load sent right after another can be reset before Caddy read it (seen once in 120 rolling
restarts behind Caddy: ``Caddy's admin API ... did not answer: [Errno 104] Connection reset by
peer``). Here a stand-in admin endpoint resets the first connections it accepts.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from pytest_sticky.errors import SetupError
from pytest_sticky.local.caddy import Caddy
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.processes import ChildProcess


class ResettingAdmin:
    """Resets the first ``resets`` connections (RST, nothing read), then answers every POST with 200."""

    def __init__(self, resets: int) -> None:
        self.resets = resets
        self.loads: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                if self.resets > 0:
                    self.resets -= 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
                length = int(headers[b"content-length"])
                while len(body) < length:
                    body += conn.recv(65536)
                self.loads.append(body)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class AliveChild:
    def alive(self) -> bool:
        return True

    def log_tail(self) -> str:
        return "(the stand-in's log)"


@pytest.fixture
def caddy_with(tmp_path: Path) -> Iterator[tuple[Caddy, list[ResettingAdmin]]]:
    admins: list[ResettingAdmin] = []
    caddy = Caddy("caddy", name="t", workdir=tmp_path, ready_timeout=5.0)
    caddy._child = cast(ChildProcess, AliveChild())
    caddy.listen = "fd/3"
    yield caddy, admins
    for admin in admins:
        admin.listener.close()


ENDPOINTS = [Endpoint("pod-0", "127.0.0.1", 1234)]


def test_a_reset_load_is_sent_again_and_applied(caddy_with: tuple[Caddy, list[ResettingAdmin]]) -> None:
    caddy, admins = caddy_with
    admin = ResettingAdmin(resets=2)
    admins.append(admin)
    caddy.admin_port = admin.port
    caddy.update(ENDPOINTS)
    assert len(admin.loads) == 1
    assert b'"127.0.0.1:1234"' in admin.loads[0]


def test_an_admin_endpoint_that_keeps_resetting_is_an_error_that_says_so(
    caddy_with: tuple[Caddy, list[ResettingAdmin]],
) -> None:
    caddy, admins = caddy_with
    admin = ResettingAdmin(resets=100)
    admins.append(admin)
    caddy.admin_port = admin.port
    with pytest.raises(SetupError, match=r"reset 3 connections in a row"):
        caddy.update(ENDPOINTS)
    assert admin.loads == []
