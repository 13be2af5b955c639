"""Where sessions live decides whether a failover logs the user out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import KilledPod
from pytest_sticky.app import StickyApp
from pytest_sticky.client import RequestRecord, client_for


def _three_session_requests(app: StickyApp, jar: RequestsCookieJar) -> list[RequestRecord]:
    with client_for(app, jar) as client:
        return client.get_many(3, "session")


def test_in_memory_sessions_are_lost_when_their_pod_dies(
    sticky_app: StickyApp,
    cookie_jar: RequestsCookieJar,
    kill_serving_pod: Callable[..., KilledPod],
    sticky_recorder: Callable[[str, list[RequestRecord]], None],
) -> None:
    before = _three_session_requests(sticky_app, cookie_jar)
    sticky_recorder("before the kill", before)
    assert [r.body["count"] for r in before] == [1, 2, 3]
    assert before[-1].body["store"] == "memory"

    killed = kill_serving_pod(cookie_jar)
    with client_for(sticky_app, cookie_jar) as client:
        after = client.get("session")
    sticky_recorder("after the kill", client.records)
    assert after.ok, after
    # The seeds' warning, shown: the session lived in the dead pod's memory.
    assert after.body["count"] == 1, f"count {after.body['count']}: an in-memory session survived {killed.name}"
    assert after.body["session"] != before[-1].body["session"], "the user got the dead pod's session back"


@pytest.mark.sticky_redis
def test_redis_sessions_survive_the_death_of_their_pod(
    sticky_app_redis: StickyApp,
    cookie_jar: RequestsCookieJar,
    kill_serving_pod: Callable[..., KilledPod],
    sticky_recorder: Callable[[str, list[RequestRecord]], None],
) -> None:
    before = _three_session_requests(sticky_app_redis, cookie_jar)
    sticky_recorder("before the kill", before)
    assert [r.body["count"] for r in before] == [1, 2, 3]
    assert before[-1].body["store"] == "redis"

    killed = kill_serving_pod(cookie_jar, app=sticky_app_redis)
    with client_for(sticky_app_redis, cookie_jar) as client:
        after = client.get("session")
    sticky_recorder("after the kill", client.records)
    assert after.ok, after
    assert after.body["session"] == before[-1].body["session"]
    assert after.body["count"] == 4, f"the session restarted at {after.body['count']} after {killed.name} died"
