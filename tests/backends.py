"""A tiny stand-in for "a proxy in front of N pods", fully under the test's control.

One ``http.server`` on 127.0.0.1 (port 0, a thread) answers for every pod in turn
(round-robin), so which pod serves which request is known in advance. With
``affinity_cookie`` it behaves like a cookie-affinity proxy: a request that carries the
cookie naming a known pod is served by that pod; any other gets the next pod and the cookie.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class FakeProxy:
    def __init__(
        self,
        pods: Sequence[str],
        *,
        affinity_cookie: str | None = None,
        pod_header: str | None = "X-Pod-Name",
        json_key: str | None = None,
    ) -> None:
        self.pods = list(pods)
        self.affinity_cookie = affinity_cookie
        self.pod_header = pod_header
        self.json_key = json_key
        self.served: list[str] = []
        self._next = itertools.cycle(self.pods)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeProxy:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def choose(self, cookie_header: str | None) -> tuple[str, bool]:
        """(pod, whether to set the affinity cookie)."""
        with self._lock:
            if self.affinity_cookie is not None and cookie_header:
                morsel = SimpleCookie(cookie_header).get(self.affinity_cookie)
                if morsel is not None and morsel.value in self.pods:
                    self.served.append(morsel.value)
                    return morsel.value, False
            pod = next(self._next)
            self.served.append(pod)
            return pod, self.affinity_cookie is not None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
                pass

            def do_GET(self) -> None:
                pod, set_cookie = proxy.choose(self.headers.get("Cookie"))
                body = json.dumps({proxy.json_key: pod} if proxy.json_key else {"hello": "world"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if proxy.pod_header is not None:
                    self.send_header(proxy.pod_header, pod)
                if set_cookie:
                    self.send_header("Set-Cookie", f"{proxy.affinity_cookie}={pod}; Path=/; HttpOnly")
                self.end_headers()
                self.wfile.write(body)

        return Handler
