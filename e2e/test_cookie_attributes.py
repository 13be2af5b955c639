"""The affinity cookie carries the attributes its implementation documents."""

from __future__ import annotations

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky.app import StickyApp
from pytest_sticky.client import client_for
from pytest_sticky.cookies import find_cookie


@pytest.mark.sticky_cookie
def test_affinity_cookie_has_the_documented_name_path_and_flags(sticky_app: StickyApp) -> None:
    behaviour = sticky_app.behaviour
    with client_for(sticky_app, RequestsCookieJar()) as client:
        first = client.get()
    assert first.ok, first
    cookie = find_cookie(list(first.set_cookie), sticky_app.cookie_name)
    assert cookie is not None, f"no {sticky_app.cookie_name} cookie among {first.set_cookie}"
    where = f"{behaviour.implementation} ({behaviour.source})"
    if behaviour.default_cookie_name is not None:
        assert cookie.name == behaviour.default_cookie_name, where
    if behaviour.cookie_path is not None:
        assert cookie.path == behaviour.cookie_path, f"Path={cookie.path!r}; {where}"
    assert cookie.http_only is behaviour.http_only, f"HttpOnly={cookie.http_only}; {where}"
    assert cookie.same_site == behaviour.same_site, f"SameSite={cookie.same_site!r}; {where}"
    if sticky_app.url.startswith("http://"):
        assert not cookie.secure, f"Secure on plain HTTP: {first.set_cookie}"


def test_the_app_session_cookie_is_not_the_affinity_cookie(sticky_app: StickyApp) -> None:
    jar = RequestsCookieJar()
    with client_for(sticky_app, jar) as client:
        first = client.get("session")
    assert first.ok, first
    expected = {"hello_session"} | ({sticky_app.cookie_name} if sticky_app.cookie_name else set())
    assert set(jar.keys()) == expected, first.set_cookie
