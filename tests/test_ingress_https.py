"""Reaching an ingress controller over HTTPS as the e2e HTTPS case does: server name and Host are the
app's host, the controller's self-signed certificate is accepted. Against a loopback TLS server with
a certificate made here by ``openssl``."""

from __future__ import annotations

import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from pytest_sticky.commands import run_command
from pytest_sticky.kube.ingress import first_set_cookies

HOST = "hello.sticky-1.sticky.test"


class _Controller(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str | None, str | None, str | None]]] = []  # (server name, Host, User-Agent)
    server_names: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        self.seen.append(
            (self.server_names[-1] if self.server_names else None, self.headers["Host"], self.headers["User-Agent"])
        )
        self.send_response(200)
        self.send_header(
            "Set-Cookie",
            "INGRESSCOOKIE=1764566401.123.27.482913|3d1fb4dc6598e7615293c47c28bc64bd; Path=/; Secure; HttpOnly",
        )
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_controller(tmp_path: Path) -> Iterator[tuple[str, type[_Controller]]]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate: apt-get install openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    run_command(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=ingress-fake-certificate"],
        timeout=60,
    )  # fmt: skip
    handler: type[_Controller] = type("Handler", (_Controller,), {"seen": [], "server_names": []})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def remember_server_name(_sock: object, name: str | None, _ctx: object) -> None:
        handler.server_names.append(name)

    context.sni_callback = remember_server_name
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_https_sends_the_apps_host_as_server_name_and_host(tls_controller: tuple[str, type[_Controller]]) -> None:
    url, handler = tls_controller
    status, set_cookies = first_set_cookies(url, HOST, user_agent="Chrome/51.0.2704.103")
    assert status == 200
    assert set_cookies == [
        "INGRESSCOOKIE=1764566401.123.27.482913|3d1fb4dc6598e7615293c47c28bc64bd; Path=/; Secure; HttpOnly"
    ]
    assert handler.seen == [(HOST, HOST, "Chrome/51.0.2704.103")]
