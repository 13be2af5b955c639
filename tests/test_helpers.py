"""``assert_sticky`` and ``assert_spread`` against proxies whose behaviour the test controls."""

from __future__ import annotations

import re

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import StickinessError, assert_spread, assert_sticky
from tests.backends import FakeProxy

PODS = ["pod-a", "pod-b", "pod-c"]
TRACE_ROW = re.compile(r"^\s*(\d+)\s+(\d{3}|ERR)\s+(\S+)", re.MULTILINE)


def trace_rows(message: str) -> list[tuple[int, str, str]]:
    """(n, status, pod) of each request row of a failure message's trace."""
    return [(int(n), status, pod) for n, status, pod in TRACE_ROW.findall(message)]


def test_round_robin_without_cookies_fails_with_every_request_listed() -> None:
    with FakeProxy(PODS) as proxy, pytest.raises(StickinessError) as failure:
        assert_sticky(RequestsCookieJar(), url=proxy.url, requests=12)
    message = str(failure.value)
    assert "12 requests with one cookie jar" in message and "reached 3 pods" in message, message
    assert "pod-a: 4, pod-b: 4, pod-c: 4" in message, message
    assert re.search(r"^n\s+status\s+pod\s", message, re.MULTILINE), message
    expected = [(n, "200", PODS[(n - 1) % 3]) for n in range(1, 13)]
    assert trace_rows(message) == expected, message
    assert [r.pod for r in failure.value.records] == [pod for _, _, pod in expected]


def test_one_replica_fails_the_negative_control() -> None:
    with FakeProxy(["only-pod"]) as proxy, pytest.raises(StickinessError) as failure:
        assert_sticky(RequestsCookieJar(), url=proxy.url, requests=5)
    message = str(failure.value)
    assert message.startswith("negative control failed"), message
    assert "WITHOUT a cookie" in message and "Stickiness cannot be shown" in message, message
    assert "one ready replica" in message, message
    assert {pod for _, _, pod in trace_rows(message)} == {"only-pod"}, message


def test_cookie_affinity_passes_and_returns_the_pinned_pod() -> None:
    jar = RequestsCookieJar()
    with FakeProxy(PODS, affinity_cookie="aff") as proxy:
        pod = assert_sticky(jar, url=proxy.url, requests=10)
        served = list(proxy.served)
    assert pod in PODS
    assert jar.get("aff") == pod, dict(jar)
    assert served[:10] == [pod] * 10, served
    assert len(set(served[10:])) >= 2, f"the negative control reached {served[10:]}"


def test_a_jar_that_already_pins_is_used_as_is() -> None:
    jar = RequestsCookieJar()
    jar.set("aff", "pod-c")
    with FakeProxy(PODS, affinity_cookie="aff") as proxy:
        assert assert_sticky(jar, url=proxy.url, requests=4) == "pod-c"


def test_assert_spread_reports_the_distribution() -> None:
    with FakeProxy(PODS) as proxy:
        counts = assert_spread(url=proxy.url, pods=PODS, requests=9)
    assert counts == {"pod-a": 3, "pod-b": 3, "pod-c": 3}


def test_assert_spread_fails_naming_the_pod_never_reached() -> None:
    with FakeProxy(PODS) as proxy, pytest.raises(StickinessError) as failure:
        assert_spread(url=proxy.url, pods=[*PODS, "pod-d"], requests=9)
    message = str(failure.value)
    assert "never reached pod-d" in message, message
    assert "Distribution: pod-a: 3, pod-b: 3, pod-c: 3" in message, message
    assert len(trace_rows(message)) == 9, message


def test_pod_from_json_key() -> None:
    jar = RequestsCookieJar()
    with FakeProxy(PODS, affinity_cookie="aff", pod_header=None, json_key="served_by") as proxy:
        pod = assert_sticky(jar, url=proxy.url, requests=4, pod_from="json:served_by")
        with pytest.raises(StickinessError, match="without a pod name"):
            assert_sticky(jar, url=proxy.url, requests=4, pod_from="json:pod")
    assert pod == jar.get("aff")


def test_pod_from_json_pod_is_part_of_the_default() -> None:
    with FakeProxy(PODS, affinity_cookie="aff", pod_header=None, json_key="pod") as proxy:
        assert assert_sticky(RequestsCookieJar(), url=proxy.url, requests=4) in PODS


def test_pod_from_a_named_header() -> None:
    jar = RequestsCookieJar()
    with FakeProxy(PODS, affinity_cookie="aff", pod_header="X-Served-By") as proxy:
        pod = assert_sticky(jar, url=proxy.url, requests=4, pod_from="header:X-Served-By")
        with pytest.raises(StickinessError, match="without a pod name"):
            assert_sticky(jar, url=proxy.url, requests=4)  # the default reads X-Pod-Name or json pod
    assert pod == jar.get("aff")


def test_an_unknown_pod_from_is_refused() -> None:
    with pytest.raises(ValueError, match="header:<Name>"):
        assert_sticky(RequestsCookieJar(), url="http://127.0.0.1:9/", pod_from="cookie:aff")


REPORT_TEST = """
from requests.cookies import RequestsCookieJar

from pytest_sticky import assert_sticky


def test_not_sticky(sticky_recorder):
    assert_sticky(RequestsCookieJar(), url={url!r}, requests=6, on_records=sticky_recorder)
"""


def test_a_failing_test_report_has_a_sticky_requests_section(pytester: pytest.Pytester) -> None:
    with FakeProxy(PODS) as proxy:
        pytester.makepyfile(REPORT_TEST.format(url=proxy.url))
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- sticky requests: sticky -*",
            "n *status *pod *",
            "1 *200 *pod-a *",
            "2 *200 *pod-b *",
            "6 *200 *pod-c *",
        ]
    )


def test_the_client_verifies_tls_as_told_else_as_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_sticky.client import StickyClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/from/the/environment.pem")
    url = "https://127.0.0.1:9/"
    with StickyClient(url) as client:
        assert (client.verify, client.session.verify) == ("/from/the/environment.pem", "/from/the/environment.pem")
    with StickyClient(url, verify=False) as client:
        assert (client.verify, client.session.verify) == (False, False)
    with StickyClient(url, verify="/router/ca.pem") as client:
        assert (client.verify, client.session.verify) == ("/router/ca.pem", "/router/ca.pem")


def test_a_replica_is_healthy_only_when_the_answer_names_it() -> None:
    """Another process that took the new replica's port meanwhile must not pass for the replica."""
    import http.server
    import threading

    from pytest_sticky.local.health import answers_as

    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("X-Pod-Name", "hello-1")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class names it so)
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert answers_as("hello-1", port)
        assert not answers_as("hello-3", port)
    finally:
        server.shutdown()
        server.server_close()
