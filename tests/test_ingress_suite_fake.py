"""``e2e/test_ingress_affinity.py``'s cookie cases run against a fake controller (rung 4: no real ingress here).

The fake answers like the row it stands for (ingress-nginx 1.15 from sticky.lua; Traefik 3.6/3.7
from the provider's sticky config), from the annotations the plugin really renders for each app
(``manifests.ingress_objects``), and the plugin identifies it by its cookie as it would a real one.
This shows the e2e code runs and takes each implementation's expectations; it does not show that
the real controllers behave so (that is the kind matrix on GitHub Actions).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = """
import hashlib
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pytest_sticky.app import ServedPods
from pytest_sticky.kube import manifests
from pytest_sticky.kube.ingress import IngressRoute, identified

PRODUCT, VERSION = {product!r}, {version!r}
PREFIX = "nginx.ingress.kubernetes.io/"
INGRESSES = {{}}  # host -> (annotations, created)


class Controller(BaseHTTPRequestHandler):
    def do_GET(self):
        annotations, created = INGRESSES[self.headers["Host"]]
        pod = "hello-0"
        name = annotations.get(PREFIX + "session-cookie-name", "INGRESSCOOKIE")
        if name + "=" not in (self.headers.get("Cookie") or ""):
            self.send_response(200)
            self.send_header("Set-Cookie", self.cookie(name, annotations, created))
        else:
            self.send_response(200)
        self.send_header("X-Pod-Name", pod)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def cookie(self, name, annotations, created):
        get = lambda key: annotations.get(PREFIX + key)
        if PRODUCT == "ingress-nginx":
            value = "1764566401.123.27.482913|" + hashlib.md5(b"ns-hello-80").hexdigest()
        else:
            value = hashlib.sha256(b"http://10.244.0.12:8000").hexdigest()[:16]
        parts = [f"{{name}}={{value}}", "Path=" + (get("session-cookie-path") or "/")]
        if get("session-cookie-expires") and not (PRODUCT == "traefik" and VERSION == "3.6"):
            at = time.time() if PRODUCT == "ingress-nginx" else created
            parts.append("Expires=" + formatdate(at + int(get("session-cookie-expires")), usegmt=True))
        if get("session-cookie-max-age"):
            parts.append("Max-Age=" + get("session-cookie-max-age"))
        same_site = get("session-cookie-samesite")
        old = "Chrome/5" in (self.headers.get("User-Agent") or "")
        if same_site and not (
            PRODUCT == "ingress-nginx" and get("session-cookie-conditional-samesite-none") == "true" and old
        ):
            parts.append("SameSite=" + same_site)
        if get("session-cookie-secure") == "true":
            parts.append("Secure")
        parts.append("HttpOnly")
        return "; ".join(parts)

    def log_message(self, *args):
        pass


class FakeApp:
    store = "memory"

    def __init__(self, name, url, host, behaviour, cookie_name, reached_via):
        self.name, self.url, self.headers = name, url, {{"Host": host}}
        self.behaviour, self.cookie_name, self.reached_via = behaviour, cookie_name, reached_via
        self.served = ServedPods()

    def explain_unreachable(self):
        return ""

    def pods(self):
        return ["hello-0"]


class FakeCluster:
    name = "kind"

    def __init__(self, url):
        self.ingress = IngressRoute(ingress_class="nginx", base_url=url, product=PRODUCT, version=VERSION,
                                    affinity_mode="persistent" if PRODUCT == "traefik" else "balanced")

    def deploy_app(self, spec):
        host = self.ingress.host(spec.name, "sticky-1")
        ingress = manifests.ingress_objects(
            name=spec.name, host=host, ingress_class="nginx", cookie_name=self.ingress.cookie_name,
            affinity_mode=self.ingress.affinity_mode, affinity=spec.affinity, annotations=spec.ingress_annotations,
        )[0]
        annotations = ingress["metadata"]["annotations"]
        INGRESSES[host] = (annotations, time.time())
        cookie_name = annotations.get(PREFIX + "session-cookie-name", "INGRESSCOOKIE")
        route = identified(self.ingress, host, cookie_name)
        assert route.identified_by.startswith("confirmed: " + PRODUCT), route.identified_by
        return FakeApp(spec.name, route.base_url, host, route.behaviour, cookie_name, route.expectations())


@pytest.fixture(scope="session")
def sticky_cluster():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Controller)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeCluster(f"http://127.0.0.1:{{server.server_address[1]}}/")
    server.shutdown()
    server.server_close()
"""

COOKIE_CASES = "cookie_attributes or without_a_cookie_name or samesite or secure_false"


@pytest.mark.parametrize(("product", "version"), [("ingress-nginx", "1.15"), ("traefik", "3.7"), ("traefik", "3.6")])
def test_the_cookie_cases_take_each_rows_expectations(pytester: pytest.Pytester, product: str, version: str) -> None:
    pytester.makeconftest(CONFTEST.format(product=product, version=version))
    # another basename: in a full run the e2e module of that name is imported already
    pytester.makepyfile(test_e2e_ingress_cases=(ROOT / "e2e" / "test_ingress_affinity.py").read_text())
    result = pytester.runpytest_subprocess("--sticky-cluster=kind", "-k", COOKIE_CASES, "-rs", timeout=120)
    # the HTTPS case needs the controller's HTTPS address (kind), or is ingress-nginx's only
    result.assert_outcomes(passed=4, skipped=1, deselected=5)
    expected_skip = (
        "needs the ingress controller's HTTPS address" if product == "ingress-nginx" else "Secure is exactly"
    )
    result.stdout.fnmatch_lines([f"*{expected_skip}*"])
