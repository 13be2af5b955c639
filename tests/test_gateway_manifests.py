"""HTTPRoutes with sessionPersistence, checked against the pinned Gateway API v1.6.1 experimental CRD.

The CRD comes from ``../shared/reference/upstream`` when it is there; elsewhere from the plugin's
own download, verified by sha256 (``pytest_sticky.gateway.crd``). The download path itself is
tested against a loopback HTTP server serving the file: never GitHub.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_sticky.errors import SetupError
from pytest_sticky.gateway import crd, httproute
from pytest_sticky.gateway.route import Backend, Route, RouteRule, SessionPersistence
from pytest_sticky.manifests_cli import main

PINNED_COPY = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "reference"
    / "upstream"
    / "gateway-api-v1.6.1-experimental-httproutes.yaml"
)
PINNED_SHA256 = "a3615d380381a768edbca2cfec067c037afa82e86bc9b1e29a0b84c8a28d76b3"


@pytest.fixture(scope="module")
def crd_text() -> str:
    """The pinned CRD: the shared reference copy, else what the plugin downloads and verifies."""
    if PINNED_COPY.is_file():
        return PINNED_COPY.read_text()
    cached = crd.cached_crd_path()
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() == PINNED_SHA256:
        return cached.read_text()
    if os.environ.get("STICKY_TEST_DOWNLOAD") != "1":
        pytest.skip(
            f"the pinned Gateway API {crd.TAG} HTTPRoute CRD is not available here: {PINNED_COPY} is absent, the "
            f"plugin's cache {cached} holds no verified copy, and downloading is off (STICKY_TEST_DOWNLOAD is not 1). "
            f"Set STICKY_TEST_DOWNLOAD=1 where {crd.CRD_URL} is reachable (the plugin checks its sha256 and caches "
            f"it), or put the file at {cached}"
        )
    return crd.fetch_crd()


@pytest.fixture(scope="module")
def pinned(crd_text: str) -> dict[str, Any]:
    return crd.load_crd(crd_text)


def manifests(command: str, *args: str) -> list[dict[str, Any]]:
    assert command == "manifests"
    out = io.StringIO()
    assert main(list(args), stdout=out) == 0
    return [doc for doc in yaml.safe_load_all(out.getvalue()) if doc]


GEP_ROUTE = Route(
    "gep",
    (
        RouteRule(
            "/a",
            (Backend("a", weight=70), Backend("b", weight=30)),
            SessionPersistence(session_name="gep-a", absolute_timeout="1h30m", lifetime_type="Permanent"),
        ),
        RouteRule("/b", (Backend("a"),), SessionPersistence(type="Header", session_name="X-Gep")),
        RouteRule("/c", (Backend("a"),), None),
    ),
)


@pytest.mark.parametrize("cluster", ["kind", "existing"])
def test_the_manifests_command_prints_httproutes_that_fit_the_pinned_crd(pinned: dict[str, Any], cluster: str) -> None:
    objects = manifests("manifests", "--ingress", "gateway", "--cluster", cluster)
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    assert len(routes) == 1
    assert crd.validation_errors(routes[0], pinned) == []
    assert routes[0]["spec"]["rules"][0]["sessionPersistence"] == {
        "type": "Cookie",
        "cookieConfig": {"lifetimeType": "Session"},
    }
    kinds = [o["kind"] for o in objects]
    assert {"Namespace", "StatefulSet", "Service", "ConfigMap", "Deployment", "Pod"} <= set(kinds)
    assert ("Gateway" in kinds) is (cluster == "kind")


@pytest.mark.parametrize(
    ("ingress", "expected"),
    [("nginx", {"Ingress"}), ("traefik", {"Ingress"}), ("none", set())],
)
def test_the_manifests_command_prints_the_ingress_it_would_create(ingress: str, expected: set[str]) -> None:
    kinds = {o["kind"] for o in manifests("manifests", "--ingress", ingress, "--cluster", "existing")}
    assert kinds & {"Ingress", "HTTPRoute", "Route"} == expected


def test_python_m_pytest_sticky_manifests_prints_a_yaml_stream() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_sticky", "manifests", "--ingress", "gateway"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "kind: HTTPRoute" in done.stdout
    assert done.stdout.startswith("# kind installs the Gateway API v1.6.1 experimental CRDs")
    unknown = subprocess.run(
        [sys.executable, "-m", "pytest_sticky"], capture_output=True, text=True, timeout=60, check=False
    )
    assert unknown.returncode == 2
    assert "usage: python -m pytest_sticky {manifests}" in unknown.stderr


def test_the_manifests_command_on_openshift_prints_a_route() -> None:
    kinds = [o["kind"] for o in manifests("manifests", "--cluster", "openshift")]
    assert kinds.count("Route") == 1


def test_a_route_with_weights_a_permanent_lifetime_and_header_mode_fits_the_pinned_crd(pinned: dict[str, Any]) -> None:
    obj = httproute.httproute(GEP_ROUTE, namespace="ns", hostname="gep.ns.sticky.test")
    assert crd.validation_errors(obj, pinned) == []
    rules = obj["spec"]["rules"]
    assert rules[0]["sessionPersistence"] == {
        "type": "Cookie",
        "absoluteTimeout": "1h30m",
        "sessionName": "gep-a",
        "cookieConfig": {"lifetimeType": "Permanent"},
    }
    assert rules[0]["backendRefs"] == [
        {"name": "a", "port": 80, "weight": 70},
        {"name": "b", "port": 80, "weight": 30},
    ]
    assert rules[1]["sessionPersistence"] == {"type": "Header", "sessionName": "X-Gep"}
    assert "sessionPersistence" not in rules[2]


def test_the_pinned_crd_serves_the_v1_6_fields(pinned: dict[str, Any]) -> None:
    assert httproute.served_schema(pinned) == "v1.6"


def union_crd(pinned: dict[str, Any]) -> dict[str, Any]:
    """The pinned CRD with sessionPersistence rewritten as upstream main's tagged union."""
    changed = copy.deepcopy(pinned)
    for version in changed["spec"]["versions"]:
        rules = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["rules"]["items"]
        rules["properties"]["sessionPersistence"] = {
            "type": "object",
            "properties": {
                "absoluteTimeout": {"type": "string"},
                "type": {"type": "string", "enum": ["Cookie", "Header"]},
                "cookie": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "path": {"type": "string"},
                        "lifetimeType": {"type": "string", "enum": ["Permanent", "Session"]},
                    },
                },
                "header": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            },
        }
    return changed


def test_the_union_shape_is_recognised_and_rendered_for_it(pinned: dict[str, Any]) -> None:
    union = union_crd(pinned)
    assert httproute.served_schema(union) == "union"
    obj = httproute.httproute(GEP_ROUTE, namespace="ns", hostname="h", schema="union")
    assert crd.validation_errors(obj, union) == []
    assert obj["spec"]["rules"][0]["sessionPersistence"] == {
        "type": "Cookie",
        "absoluteTimeout": "1h30m",
        "cookie": {"path": "/a", "lifetimeType": "Permanent", "name": "gep-a"},
    }
    assert obj["spec"]["rules"][1]["sessionPersistence"] == {"type": "Header", "header": {"name": "X-Gep"}}


def test_strict_validation_rejects_the_wrong_shape(pinned: dict[str, Any]) -> None:
    union_route = httproute.httproute(GEP_ROUTE, namespace="ns", hostname="h", schema="union")
    errors = crd.validation_errors(union_route, pinned)
    assert "spec.rules.0.sessionPersistence: Additional properties are not allowed ('cookie' was unexpected)" in errors
    v16_route = httproute.httproute(GEP_ROUTE, namespace="ns", hostname="h")
    assert crd.validation_errors(v16_route, union_crd(pinned)) != []
    bad_timeout = copy.deepcopy(v16_route)
    bad_timeout["spec"]["rules"][0]["sessionPersistence"]["absoluteTimeout"] = "90 minutes"
    assert any("absoluteTimeout" in e for e in crd.validation_errors(bad_timeout, pinned))


def test_a_standard_channel_crd_is_refused_with_the_reason(pinned: dict[str, Any]) -> None:
    standard = copy.deepcopy(pinned)
    for version in standard["spec"]["versions"]:
        rules = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["rules"]["items"]
        del rules["properties"]["sessionPersistence"]
    with pytest.raises(ValueError, match="no sessionPersistence: it is the standard channel"):
        httproute.served_schema(standard)


def test_a_permanent_lifetime_needs_an_absolute_timeout() -> None:
    with pytest.raises(ValueError, match="Permanent cookie lifetime needs absolute_timeout"):
        SessionPersistence(lifetime_type="Permanent")
    with pytest.raises(ValueError, match="not a Gateway API duration"):
        SessionPersistence(absolute_timeout="90 minutes")


# -- the download: a loopback server, never GitHub ---------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, crd_text: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    www = tmp_path / "www"
    www.mkdir()
    (www / "httproutes.yaml").write_text(crd_text)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}/httproutes.yaml"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_downloaded_crd_is_checked_by_sha256_and_cached(served: tuple[Path, str]) -> None:
    _, url = served
    text = crd.fetch_crd(url)
    assert crd.CRD_SHA256 == PINNED_SHA256
    cached = crd.cached_crd_path()
    assert cached.read_text() == text
    assert httproute.served_schema(crd.load_crd(text)) == "v1.6"
    assert crd.fetch_crd("http://127.0.0.1:9/unreachable") == text  # from the cache, checksum verified


def test_a_tampered_crd_is_refused_and_not_cached(served: tuple[Path, str]) -> None:
    www, url = served
    (www / "httproutes.yaml").write_text(
        (www / "httproutes.yaml").read_text().replace("maxLength: 128", "maxLength: 129")
    )
    with pytest.raises(
        SetupError, match=r"refusing the HTTPRoute CRD from http://127\.0\.0\.1:\d+/.*expected a3615d38"
    ):
        crd.fetch_crd(url)
    assert not crd.cached_crd_path().exists()


def test_an_unreachable_download_says_where_from(served: tuple[Path, str]) -> None:
    _, url = served
    with pytest.raises(SetupError, match=r"cannot download the HTTPRoute CRD from .*/missing\.yaml"):
        crd.fetch_crd(url.replace("httproutes.yaml", "missing.yaml"))
