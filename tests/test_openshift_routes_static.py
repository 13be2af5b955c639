"""The Route templates under fixtures/openshift/, checked against the route.openshift.io/v1 API.

kubernetes-validate has no Route schema, so the reference is written down here from
openshift/api ``route/v1/types.go`` (RouteSpec, RouteTargetReference, RoutePort, TLSConfig: field
names, which are required, the enumerations) and from the router's own rules in openshift/router
``images/router/haproxy/conf/haproxy-config.template`` (cookie-name pattern, SameSite values,
``disable_cookies`` read as a boolean). Verified statically only: no API server checks them here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from pytest_sticky.fixture_files import fixtures_dir
from pytest_sticky.kube.manifests import Images, app_objects
from pytest_sticky.openshift.routes import (
    RouteSpec,
    render_route,
)

# Upstream's names, written here independently of the code's constants (openshift/router
# images/router/haproxy/conf/haproxy-config.template; openshift-docs nw-route-specific-annotations):
# a typo made consistently in the code and the templates fails these tests.
COOKIE_NAME_ANNOTATION = "router.openshift.io/cookie_name"
SAME_SITE_ANNOTATION = "router.openshift.io/cookie-same-site"
DISABLE_COOKIES_ANNOTATION = "haproxy.router.openshift.io/disable_cookies"

TOP_LEVEL = {"apiVersion", "kind", "metadata", "spec", "status"}
SPEC_FIELDS = {"host", "subdomain", "path", "to", "alternateBackends", "port", "tls", "wildcardPolicy"}
TARGET_FIELDS = {"kind", "name", "weight"}
PORT_FIELDS = {"targetPort"}
TLS_FIELDS = {
    "termination",
    "certificate",
    "key",
    "caCertificate",
    "destinationCACertificate",
    "insecureEdgeTerminationPolicy",
    "externalCertificate",
}
TERMINATIONS = {"edge", "passthrough", "reencrypt"}
INSECURE_POLICIES = {"Allow", "None", "Redirect", ""}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
COOKIE_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")  # the router's $cookieNamePattern
BOOLEAN_WORDS = {"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"}


def validate_route(route: dict[str, Any]) -> list[str]:
    """What is wrong with ``route`` as a route.openshift.io/v1 Route (empty: nothing)."""
    problems: list[str] = []

    def unknown(where: str, obj: dict[str, Any], allowed: set[str]) -> None:
        problems.extend(f"{where}.{k}: not a field of the API" for k in set(obj) - allowed)

    unknown("", route, TOP_LEVEL)
    if route.get("apiVersion") != "route.openshift.io/v1" or route.get("kind") != "Route":
        problems.append(f"apiVersion/kind {route.get('apiVersion')}/{route.get('kind')}")
    metadata = route.get("metadata", {})
    name = metadata.get("name", "")
    if not DNS_LABEL.match(name) or len(name) > 63:
        problems.append(f"metadata.name {name!r} is not a DNS label")
    for section in ("labels", "annotations"):
        for key, value in (metadata.get(section) or {}).items():
            if not isinstance(value, str):
                problems.append(f"metadata.{section}.{key}: {value!r} is not a string")
    spec = route.get("spec")
    if not isinstance(spec, dict):
        return [*problems, "spec is required"]
    unknown("spec", spec, SPEC_FIELDS)
    to = spec.get("to")
    if not isinstance(to, dict) or not to.get("name") or to.get("kind") != "Service":
        problems.append(f"spec.to needs kind Service and a name: {to!r}")
    else:
        unknown("spec.to", to, TARGET_FIELDS)
        if "weight" in to and not (isinstance(to["weight"], int) and 0 <= to["weight"] <= 256):
            problems.append(f"spec.to.weight {to['weight']!r} is not 0..256")
    if "port" in spec:
        unknown("spec.port", spec["port"], PORT_FIELDS)
        if not spec["port"].get("targetPort"):
            problems.append("spec.port.targetPort is required")
    tls = spec.get("tls")
    if tls is not None:
        unknown("spec.tls", tls, TLS_FIELDS)
        termination = tls.get("termination")
        if termination not in TERMINATIONS:
            problems.append(f"spec.tls.termination {termination!r} not in {sorted(TERMINATIONS)}")
        policy = tls.get("insecureEdgeTerminationPolicy", "")
        if policy not in INSECURE_POLICIES:
            problems.append(f"spec.tls.insecureEdgeTerminationPolicy {policy!r}")
        if termination == "passthrough":
            if policy == "Allow":
                problems.append("passthrough does not allow insecureEdgeTerminationPolicy Allow")
            if {"certificate", "key", "caCertificate", "destinationCACertificate"} & set(tls):
                problems.append("passthrough takes no certificates")
            if spec.get("path"):
                problems.append("passthrough routes cannot have a path")
    annotations = metadata.get("annotations") or {}
    if COOKIE_NAME_ANNOTATION in annotations and not COOKIE_NAME.match(annotations[COOKIE_NAME_ANNOTATION]):
        problems.append(f"{COOKIE_NAME_ANNOTATION} does not match {COOKIE_NAME.pattern}: the router would ignore it")
    if annotations.get(SAME_SITE_ANNOTATION, "None") not in ("Lax", "Strict", "None"):
        problems.append(f"{SAME_SITE_ANNOTATION} must be Lax, Strict or None")
    if annotations.get(DISABLE_COOKIES_ANNOTATION, "true").lower() not in BOOLEAN_WORDS:
        problems.append(f"{DISABLE_COOKIES_ANNOTATION} is not a boolean")
    return problems


VARIANTS = {
    "http": RouteSpec(name="hello", service="hello", app="hello", cookie_name="sticky_hello"),
    "http, router's cookie name": RouteSpec(name="hello", service="hello", app="hello"),
    "http, cookies disabled": RouteSpec(
        name="hello-off", service="hello", app="hello", cookie_name="sticky_hello", disable_cookies=True
    ),
    "edge": RouteSpec(name="hello-edge", service="hello", app="hello", termination="edge", cookie_name="Sticky-1"),
    "edge Strict": RouteSpec(name="e", service="hello", app="hello", termination="edge", same_site="Strict"),
    "edge Lax, insecure None": RouteSpec(
        name="e", service="hello", app="hello", termination="edge", same_site="Lax", insecure_policy="None"
    ),
    "passthrough": RouteSpec(name="hello-pass", service="hello", app="hello", termination="passthrough"),
}


@pytest.mark.parametrize("spec", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_route_variant_is_a_valid_route(spec: RouteSpec) -> None:
    route = render_route(spec)
    assert validate_route(route) == [], route
    assert route["metadata"]["name"] == spec.name
    assert route["spec"]["to"] == {"kind": "Service", "name": spec.service, "weight": 100}


def test_the_validator_catches_what_the_api_would_reject() -> None:
    route = render_route(VARIANTS["passthrough"])
    route["spec"]["tls"]["insecureEdgeTerminationPolicy"] = "Allow"
    route["spec"]["path"] = "/x"
    route["spec"]["hostname"] = "typo.example"
    route["metadata"]["annotations"] = {COOKIE_NAME_ANNOTATION: "bad.name", DISABLE_COOKIES_ANNOTATION: "maybe"}
    del route["spec"]["to"]["kind"]
    problems = "\n".join(validate_route(route))
    for fragment in ("Allow", "path", "spec.hostname", "would ignore", "boolean", "spec.to"):
        assert fragment in problems, problems


def test_the_cookie_annotations_are_exactly_the_ones_asked_for() -> None:
    http = render_route(VARIANTS["http"])["metadata"]["annotations"]
    assert http == {COOKIE_NAME_ANNOTATION: "sticky_hello"}
    assert "annotations" not in render_route(VARIANTS["http, router's cookie name"])["metadata"]
    assert render_route(VARIANTS["http, cookies disabled"])["metadata"]["annotations"] == {
        COOKIE_NAME_ANNOTATION: "sticky_hello",
        DISABLE_COOKIES_ANNOTATION: "true",
    }
    strict = render_route(VARIANTS["edge Strict"])
    assert strict["metadata"]["annotations"] == {SAME_SITE_ANNOTATION: "Strict"}
    assert strict["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    default = render_route(VARIANTS["edge"])  # no SameSite annotation: the router's default (None) applies
    assert default["metadata"]["annotations"] == {COOKIE_NAME_ANNOTATION: "Sticky-1"}
    assert render_route(VARIANTS["edge Lax, insecure None"])["spec"]["tls"]["insecureEdgeTerminationPolicy"] == "None"
    passthrough = render_route(VARIANTS["passthrough"])
    assert "annotations" not in passthrough["metadata"]
    assert passthrough["spec"]["tls"] == {"termination": "passthrough", "insecureEdgeTerminationPolicy": "None"}


def test_routes_target_the_named_port_of_the_apps_service() -> None:
    service = next(
        o
        for o in app_objects(name="hello", replicas=1, store="memory", redis_addr="", images=Images(), grace_period=1)
        if o["kind"] == "Service" and o["metadata"]["name"] == "hello"
    )
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for spec in VARIANTS.values():
        assert render_route(spec)["spec"]["port"]["targetPort"] in port_names


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"cookie_name": "sticky.hello"}, "[a-zA-Z0-9_-]+"),
        ({"cookie_name": ""}, "[a-zA-Z0-9_-]+"),
        ({"same_site": "Strict"}, "edge"),
        ({"termination": "edge", "same_site": "strict"}, "Lax"),
        ({"termination": "edge", "insecure_policy": "Allow"}, "Redirect"),
        ({"termination": "reencrypt"}, "passthrough"),
    ],
    ids=["dot in cookie name", "empty cookie name", "SameSite on http", "lower-case SameSite", "Allow", "reencrypt"],
)
def test_route_specs_the_router_would_not_honour_are_refused(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        RouteSpec(name="hello", service="hello", app="hello", **changes)


def test_the_templates_ship_beside_the_other_fixtures() -> None:
    names = sorted(p.name for p in (fixtures_dir() / "openshift").glob("*.yaml"))
    assert names == ["route-edge.yaml", "route-passthrough.yaml", "route.yaml"]
