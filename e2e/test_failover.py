"""Failover: the serving pod dies; the client is answered again, re-pins, and we say how fast."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import KilledPod
from pytest_sticky.app import StickyApp
from pytest_sticky.client import client_for
from pytest_sticky.evidence import FailoverEvidence


@pytest.mark.sticky_cookie
def test_killing_the_serving_pod_fails_over_and_the_jar_repins(
    assert_sticky: Callable[..., str],
    kill_serving_pod: Callable[..., KilledPod],
    cookie_jar: RequestsCookieJar,
    sticky_app: StickyApp,
    record_property: Callable[[str, object], None],
) -> None:
    pinned = assert_sticky(cookie_jar)
    killed = kill_serving_pod(cookie_jar)
    record_property("recovered_after_s", killed.recovered_after)
    print(FailoverEvidence.of(killed).text())

    assert killed.name == pinned
    assert killed.new_uid != killed.old_uid, "the replacement is the same incarnation"
    assert pinned in sticky_app.pods(), f"no ready replacement named {pinned}: {sticky_app.pods()}"
    assert killed.answered_by in sticky_app.pods()
    assert_sticky(cookie_jar, negative_control=False)  # the jar is pinned again

    behaviour = sticky_app.behaviour
    if behaviour.after_serving_pod_deleted == "new-cookie":
        assert killed.cookie_after is not None and killed.cookie_after != killed.cookie_before, (
            f"{behaviour.implementation} sets a new affinity cookie when the pinned pod is gone "
            f"({behaviour.source}); the jar kept {killed.cookie_before!r}"
        )
    elif behaviour.after_serving_pod_deleted == "same-cookie":
        assert killed.cookie_after == killed.cookie_before, (
            f"{behaviour.implementation} keeps the cookie when the pinned pod is gone ({behaviour.source}); "
            f"it changed from {killed.cookie_before!r} to {killed.cookie_after!r}"
        )


def test_without_a_jar_the_pod_that_served_the_last_request_is_killed(
    kill_serving_pod: Callable[..., KilledPod], sticky_app: StickyApp
) -> None:
    with client_for(sticky_app) as client:
        last = client.get()
    assert last.ok, last
    killed = kill_serving_pod()
    assert killed.name == last.pod
    assert killed.name in sticky_app.pods()
