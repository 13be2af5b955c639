"""A stand-in for the OpenShift router, for the Routes the fake ``oc`` admitted.

It behaves as openshift/router's ``haproxy-config.template`` configures HAProxy, for what the
tests look at: plain-HTTP and edge backends ``cookie <name> insert indirect nocache httponly``
(edge, unless insecureEdgeTerminationPolicy is Allow: ``secure attr SameSite=<annotation, default
None>``), the cookie named by ``router.openshift.io/cookie_name`` (else an md5 route key), its
value an md5 of the endpoint, ``disable_cookies`` removing it, ``option redispatch`` (a cookie for a
server that is gone gets another server and a new cookie), ``balance random``; edge routes
redirect plain HTTP with the Redirect policy; passthrough is not served. One port on 127.0.0.1
takes both HTTP and TLS (the first byte tells them apart); endpoints come from the Kubernetes
API, requests go to the pod addresses. It is a fake: the real router is not verified by it.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import random
import re
import socket
import ssl
import subprocess
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

COOKIE_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
TRUE_WORDS = {"true", "1", "yes", "on", "t", "y"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"}


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for ``*.apps.fake.test`` (made with the openssl command)."""
    cert, key = directory / "router.crt", directory / "router.key"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    request += ["-subj", "/CN=*.apps.fake.test"]
    subprocess.run([*request, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class FakeRouter:
    def __init__(self, state_dir: Path, kube: Any, certificate: tuple[Path, Path]) -> None:
        self.state_dir = state_dir
        self.kube = kube
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(str(certificate[0]), str(certificate[1]))
        self.served: list[tuple[str, str]] = []
        """(route, pod address) of every request passed on."""
        self._server = _SniffingServer(("127.0.0.1", 0), self._handler(), self.tls)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeRouter:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what the router knows ---------------------------------------------------------------

    def routes(self) -> list[dict[str, Any]]:
        path = self.state_dir / "state.json"
        with open(self.state_dir / "state.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            state = json.loads(path.read_text()) if path.exists() else {}
        return [r for routes in state.get("routes", {}).values() for r in routes.values()]

    def route_for(self, host: str) -> dict[str, Any] | None:
        for route in self.routes():
            for ingress in route.get("status", {}).get("ingress") or []:
                admitted = any(c["type"] == "Admitted" and c["status"] == "True" for c in ingress["conditions"])
                if admitted and ingress["host"] == host:
                    return route
        return None

    def endpoints(self, route: dict[str, Any]) -> dict[str, tuple[str, int]]:
        """Server id (md5 of the endpoint) -> (pod IP, port) of the Route's Service, ready ones only."""
        namespace, service = route["metadata"]["namespace"], route["spec"]["to"]["name"]
        target = route["spec"].get("port", {}).get("targetPort")
        endpoints = self.kube.core.read_namespaced_endpoints(service, namespace)
        servers = {}
        for subset in endpoints.subsets or []:
            ports = [p.port for p in subset.ports or [] if target in (None, p.name, p.port)]
            for address in subset.addresses or []:
                for port in ports:
                    servers[hashlib.md5(f"{address.ip}:{port}".encode()).hexdigest()] = (address.ip, port)
        return servers

    # -- serving -----------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        router = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
                pass

            def do_GET(self) -> None:
                router.serve(self)

            def do_HEAD(self) -> None:
                router.serve(self)

        return Handler

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        secure = isinstance(request.connection, ssl.SSLSocket)
        host = (request.headers.get("Host") or "").split(":")[0]
        route = self.route_for(host)
        tls = (route or {}).get("spec", {}).get("tls") or {}
        termination, policy = tls.get("termination", ""), tls.get("insecureEdgeTerminationPolicy", "")
        if route is None or termination == "passthrough" or (secure and termination != "edge"):
            self.answer(request, 503, {}, b"<h1>Application is not available</h1>")
            return
        if not secure and termination == "edge" and policy != "Allow":
            if policy == "Redirect":
                self.answer(request, 302, {"Location": f"https://{host}{request.path}"}, b"")
            else:
                self.answer(request, 503, {}, b"<h1>Application is not available</h1>")
            return
        self.proxy(request, route, secure and policy != "Allow")

    def proxy(self, request: BaseHTTPRequestHandler, route: dict[str, Any], secure_cookie: bool) -> None:
        annotations = route["metadata"].get("annotations") or {}
        metadata = route["metadata"]
        cookies_on = annotations.get("haproxy.router.openshift.io/disable_cookies", "").lower() not in TRUE_WORDS
        name = annotations.get("router.openshift.io/cookie_name", "")
        if not COOKIE_NAME.match(name):
            name = hashlib.md5(f"{metadata['namespace']}:{metadata['name']}".encode()).hexdigest()
        servers = self.endpoints(route)
        if not servers:
            self.answer(request, 503, {}, b"<h1>Application is not available</h1>")
            return
        jar = SimpleCookie(request.headers.get("Cookie") or "")
        wanted = jar[name].value if cookies_on and name in jar else None
        candidates = [wanted] if wanted in servers else []
        candidates += random.sample([s for s in servers if s not in candidates], len(servers) - len(candidates))
        forwarded_cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items() if not (cookies_on and k == name))
        for server in candidates[:4]:  # option redispatch, retries 3
            try:
                status, headers, body = self.forward(request, servers[server], forwarded_cookie, route)
            except OSError:
                continue
            self.served.append((metadata["name"], servers[server][0]))
            if cookies_on and server != wanted:
                attributes = "; Secure; SameSite=" + self.same_site(annotations) if secure_cookie else ""
                headers.append(("Set-Cookie", f"{name}={server}; path=/; HttpOnly{attributes}"))
                headers.append(("Cache-control", 'private, no-cache="set-cookie"'))
            self.answer(request, status, headers, body)
            return
        self.answer(request, 503, {}, b"<h1>Application is not available</h1>")

    @staticmethod
    def same_site(annotations: dict[str, str]) -> str:
        match = re.search("Lax|Strict|None", annotations.get("router.openshift.io/cookie-same-site", ""))
        return match.group(0) if match else "None"

    @staticmethod
    def forward(
        request: BaseHTTPRequestHandler, address: tuple[str, int], cookie: str, route: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | {"cookie"}}
        if cookie:
            headers["Cookie"] = cookie
        headers["X-Forwarded-For"] = request.client_address[0]
        headers["X-Forwarded-Host"] = request.headers.get("Host", "")
        headers["X-Forwarded-Proto"] = "https" if isinstance(request.connection, ssl.SSLSocket) else "http"
        connection = http.client.HTTPConnection(address[0], address[1], timeout=5)
        try:
            connection.request(request.command, request.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return response.status, kept, body
        finally:
            connection.close()

    @staticmethod
    def answer(
        request: BaseHTTPRequestHandler, status: int, headers: dict[str, str] | list[tuple[str, str]], body: bytes
    ) -> None:
        request.send_response(status)
        for key, value in headers.items() if isinstance(headers, dict) else headers:
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)


class _SniffingServer(ThreadingHTTPServer):
    """HTTP and TLS on one port: a connection that starts with a TLS handshake record gets TLS."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.tls_context = tls

    def finish_request(self, request: Any, client_address: Any) -> None:  # runs in the request's thread
        sock: socket.socket = request
        sock.settimeout(10)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                sock = self.tls_context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(sock, client_address)
        finally:
            if sock is not request:
                sock.close()
