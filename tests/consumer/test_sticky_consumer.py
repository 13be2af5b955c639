"""What another repository writes: only the public fixtures and helpers of pytest-sticky.

This file must stay self-contained (no imports from this repository's tests, no conftest): the
release workflow and ``.ci/check-dist`` copy it out of the source tree and run it with the wheel
installed alone in a fresh virtual environment, which proves that the wheel carries the plugin,
its entry point and its ``fixtures/`` (the demo app the ``local`` cluster runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from requests.cookies import RequestsCookieJar

import pytest_sticky


def test_a_browser_with_a_cookie_jar_stays_on_one_pod(
    assert_sticky: Callable[..., str], cookie_jar: RequestsCookieJar, sticky_app: Any
) -> None:
    pod = assert_sticky(cookie_jar, requests=10)
    assert pod in sticky_app.pods()
    assert len(cookie_jar) > 0, "the first answer set no affinity cookie"


def test_the_standalone_helper_works_against_the_app_url(sticky_app: Any) -> None:
    jar = RequestsCookieJar()
    pod = pytest_sticky.assert_sticky(jar, url=sticky_app.url, requests=10)
    assert pod in sticky_app.pods()


def test_killing_the_serving_pod_recovers(
    assert_sticky: Callable[..., str], kill_serving_pod: Callable[..., Any], cookie_jar: RequestsCookieJar
) -> None:
    pinned = assert_sticky(cookie_jar, requests=5)
    killed = kill_serving_pod(cookie_jar)
    assert killed.name == pinned
    assert 0 < killed.recovered_after < 60
