"""Cookie stickiness: a jar pins to one pod; without a cookie, requests spread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky.app import StickyApp
from pytest_sticky.assertions import check_pinned, requests_to_reach_all
from pytest_sticky.client import RequestRecord, client_for


@pytest.mark.sticky_cookie
def test_a_cookie_jar_pins_every_request_to_one_pod(
    assert_sticky: Callable[..., str], cookie_jar: RequestsCookieJar, sticky_app: StickyApp
) -> None:
    pod = assert_sticky(cookie_jar, requests=20)
    assert pod in sticky_app.pods()
    assert sticky_app.cookie_name in cookie_jar, f"the jar holds {list(cookie_jar.keys())}, no affinity cookie"


@pytest.mark.sticky_cookie
def test_without_a_cookie_requests_reach_every_pod(
    assert_spread: Callable[..., dict[str, int]], sticky_app: StickyApp
) -> None:
    counts = assert_spread()
    assert set(counts) == set(sticky_app.pods())


@pytest.mark.sticky_cookie
def test_fresh_jars_spread_over_the_pods_and_each_stays_pinned(
    sticky_app: StickyApp, sticky_recorder: Callable[[str, list[RequestRecord]], None]
) -> None:
    pods = sticky_app.pods()
    jars = requests_to_reach_all(len(pods))
    pinned: list[str] = []
    for i in range(jars):
        with client_for(sticky_app, RequestsCookieJar()) as client:
            client.get_many(5)
        sticky_recorder(f"jar {i}", client.records)
        pinned.append(check_pinned(client.records, url=sticky_app.url))
    assert set(pinned) == set(pods), f"{jars} fresh jars pinned to {dict(Counter(pinned))}, not to every pod {pods}"


@pytest.mark.sticky_cookie
def test_twenty_concurrent_jars_stay_pinned_and_the_load_spreads(
    sticky_app: StickyApp, sticky_recorder: Callable[[str, list[RequestRecord]], None]
) -> None:
    def one_browser(_: int) -> list[RequestRecord]:
        with client_for(sticky_app, RequestsCookieJar()) as client:
            client.get_many(20)
        return client.records

    with ThreadPoolExecutor(max_workers=20) as pool:
        browsers = list(pool.map(one_browser, range(20)))
    pinned = []
    for i, records in enumerate(browsers):
        sticky_recorder(f"browser {i}", records)
        pinned.append(check_pinned(records, url=sticky_app.url, what=f"requests of concurrent browser {i}"))
    load = Counter(pinned)
    assert len(load) >= min(2, len(sticky_app.pods())), f"20 browsers all pinned to {dict(load)}"
