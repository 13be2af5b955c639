"""Telling ingress-nginx from Traefik by the affinity cookie they write, not by the IngressClass.

The values are written out here in the shape each upstream writes them (sources in
``pytest_sticky/identify.py``): ingress-nginx ``<key>|<md5 of the backend>``, where the key is an
md5 in persistent mode and ``<time>.<pid>.<random>`` in balanced mode; Traefik the first 16 hex
characters of a sha256.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pytest_sticky.cookies import parse_set_cookie
from pytest_sticky.identify import identify_cookie
from pytest_sticky.kube.ingress import IngressRoute, identified


@pytest.mark.parametrize(
    ("set_cookie", "product", "mode"),
    [
        (
            "INGRESSCOOKIE=f0fc7dbeadb1668de16d458cfe03b4a5|3d1fb4dc6598e7615293c47c28bc64bd; Path=/; HttpOnly",
            "ingress-nginx",
            "persistent",
        ),
        (
            "INGRESSCOOKIE=1764566401.123.27.482913|3d1fb4dc6598e7615293c47c28bc64bd; Path=/; HttpOnly",
            "ingress-nginx",
            "balanced",
        ),
        (
            "STICKY_E2E=1764566401.123.27.482913|3d1fb4dc6598e7615293c47c28bc64bd; Expires=Tue, 01 Dec 2026 06:00:00 "
            "GMT; Max-Age=3600; Path=/; SameSite=Strict; Secure; HttpOnly",
            "ingress-nginx",
            "balanced",
        ),
        ("INGRESSCOOKIE=2cbf33090e06fa3e; Path=/; HttpOnly", "traefik", ""),
        ("INGRESSCOOKIE=2cbf33090e06fa3e; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict", "traefik", ""),
    ],
)
def test_the_cookie_value_tells_the_implementation(set_cookie: str, product: str, mode: str) -> None:
    found = identify_cookie(parse_set_cookie(set_cookie).value)
    assert found is not None
    assert (found.product, found.mode) == (product, mode)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "s1",  # HAProxy with a server name as the cookie value
        "f0fc7dbeadb1668de16d458cfe03b4a5",  # the OpenShift router: md5, no delimiter
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",  # Caddy: a 64-hex HMAC
        "2cbf33090e06fa3",  # 15 hex characters
        "2CBF33090E06FA3E",  # upper case: neither writes it
        "1764566401.123.27.482913|3d1fb4dc6598e7615293c47c28bc64b",  # a 31-hex backend key
        "|3d1fb4dc6598e7615293c47c28bc64bd",  # no key
    ],
)
def test_other_values_identify_nothing(value: str) -> None:
    assert identify_cookie(value) is None


def test_the_description_says_how_it_was_identified() -> None:
    found = identify_cookie("2cbf33090e06fa3e")
    assert found is not None
    assert found.describe() == (
        "traefik (identified by its affinity cookie: value '2cbf33090e06fa3e' is 16 hex characters)"
    )


class _Controller(BaseHTTPRequestHandler):
    """Answers like an ingress controller whose affinity cookie value the test chooses."""

    value = ""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("X-Pod-Name", "hello-0")
        self.send_header("Set-Cookie", f"INGRESSCOOKIE={self.value}; Path=/; HttpOnly")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def controller() -> Iterator[tuple[str, type[_Controller]]]:
    handler = type("Handler", (_Controller,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_traefik_cookie_behind_an_ingress_nginx_class_gets_traefiks_expectations(
    controller: tuple[str, type[_Controller]],
) -> None:
    url, handler = controller
    handler.value = "2cbf33090e06fa3e"
    configured = IngressRoute(ingress_class="nginx", base_url=url, product="ingress-nginx", version="1.15")
    route = identified(configured, "hello.sticky.test", "INGRESSCOOKIE")
    assert (route.product, route.version, route.implementation) == ("traefik", "", "traefik-3.7")
    assert route.identified_by.startswith("not the one configured: traefik (identified by its affinity cookie")
    assert "version unknown" in route.expectations()


def test_an_ingress_nginx_cookie_confirms_the_configured_controller(controller: tuple[str, type[_Controller]]) -> None:
    url, handler = controller
    handler.value = "f0fc7dbeadb1668de16d458cfe03b4a5|3d1fb4dc6598e7615293c47c28bc64bd"
    configured = IngressRoute(ingress_class="nginx", base_url=url, product="ingress-nginx", version="1.15")
    route = identified(configured, "hello.sticky.test", "INGRESSCOOKIE")
    assert (route.product, route.version, route.implementation) == (
        "ingress-nginx",
        "1.15",
        "ingress-nginx-1.15-balanced",
    )
    assert route.identified_by.startswith("confirmed: ingress-nginx, affinity-mode persistent")


def test_an_unknown_cookie_leaves_the_configured_controller(controller: tuple[str, type[_Controller]]) -> None:
    url, handler = controller
    handler.value = "s1"
    configured = IngressRoute(ingress_class="nginx", base_url=url, product="traefik", version="3.6")
    assert identified(configured, "hello.sticky.test", "INGRESSCOOKIE") == configured
