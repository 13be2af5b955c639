"""The demo app on SIGTERM: a request in progress is answered before the process exits.

Without it, behind a proxy that resends a failed GET (Caddy with ``retries`` does, for GET, after
the round trip failed: caddyserver/caddy v2.11.4 ``modules/caddyhttp/reverseproxy/reverseproxy.go``
line 1358), a pod stopped during a rolling restart counted a session's request and died before
answering; the resent request counted it again and the browser saw its count jump by two.

The request is held in progress by a stand-in for Redis that keeps the ``INCR`` reply until the
test lets it go, after the SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.children import wait_for

HELLO = Path(__file__).parent.parent / "fixtures" / "app" / "hello.py"


class HeldRedis:
    """Answers PING and EXPIRE at once, INCR with 7 once ``release`` is set."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.incr_seen = threading.Event()
        self.release = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n" not in buf or not self._complete(buf):
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                command, buf = self._split(buf)
                if command == "PING":
                    conn.sendall(b"+PONG\r\n")
                elif command == "INCR":
                    self.incr_seen.set()
                    self.release.wait(10)
                    conn.sendall(b":7\r\n")
                else:
                    conn.sendall(b":1\r\n")

    @staticmethod
    def _complete(buf: bytes) -> bool:
        lines = buf.split(b"\r\n")
        count = int(lines[0][1:])
        return len(lines) > 2 * count + 1

    @staticmethod
    def _split(buf: bytes) -> tuple[str, bytes]:
        lines = buf.split(b"\r\n")
        count = int(lines[0][1:])
        rest = b"\r\n".join(lines[2 * count + 1 :])
        return lines[2].decode(), rest

    def close(self) -> None:
        self.release.set()
        self.listener.close()


@pytest.fixture
def held_redis() -> Iterator[HeldRedis]:
    redis = HeldRedis()
    yield redis
    redis.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def test_a_request_in_progress_at_sigterm_is_answered_before_the_app_exits(held_redis: HeldRedis) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "POD_NAME": "stop-0",
        "SESSION_STORE": "redis",
        "REDIS_ADDR": f"127.0.0.1:{held_redis.port}",
    }
    app = subprocess.Popen([sys.executable, str(HELLO)], env=env, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: _healthy(port), timeout=10), "the demo app did not become healthy"
        answer: dict[str, object] = {}

        def browse() -> None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/session")
                response = conn.getresponse()
                answer["status"] = response.status
                answer["body"] = json.loads(response.read())
            except (OSError, http.client.HTTPException) as exc:
                answer["error"] = repr(exc)

        browser = threading.Thread(target=browse)
        browser.start()
        assert held_redis.incr_seen.wait(10), "the request never reached the session store"

        app.send_signal(signal.SIGTERM)
        # A stop takes 50 ms at most (serve_forever's poll); half a second later the app must
        # still be there, waiting for the request it has counted.
        exited = wait_for(lambda: app.poll() is not None, timeout=0.5)
        held_redis.release.set()
        browser.join(10)

        assert not exited, f"the app exited (status {app.returncode}) with a request in progress"
        assert "error" not in answer, f"the browser got no answer: {answer['error']}"
        assert answer["status"] == 200
        body = answer["body"]
        assert isinstance(body, dict)
        assert (body["pod"], body["count"], body["store"]) == ("stop-0", 7, "redis")
        app.wait(10)
        assert app.returncode == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        if app.stderr is not None:
            app.stderr.close()
