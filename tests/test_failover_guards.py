"""``kill_serving_pod`` measured honestly, and the local cluster's deletions as Kubernetes does them.

- an app that keeps answering after SIGTERM (``tests/draining_app.py``): its answers during the
  grace period are not a recovery;
- the failover clock starts before the deletion is sent, not after it returned (a fake app whose
  deletion takes "5 s" on a fake clock);
- ``--sticky-grace-period`` reaches the local replicas: a draining replica finishes (and leaves a
  marker file) only when its grace period is longer than its drain;
- ``LocalApp.close()`` and ``LocalCluster.close()`` stop their processes themselves, checked in
  /proc right after they return (not at interpreter exit, where the atexit net would hide it).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from requests.cookies import RequestsCookieJar

from pytest_sticky import failover
from pytest_sticky.app import AppSpec, ServedPods
from pytest_sticky.assertions import assert_sticky
from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.client import StickyClient, client_for
from pytest_sticky.errors import StickyError
from pytest_sticky.failover import kill_serving_pod
from pytest_sticky.local.cluster import LocalCluster
from pytest_sticky.processes import descendants
from tests.tools import find_tool

DRAINING_APP = Path(__file__).parent / "draining_app.py"


def available_proxy() -> str:
    return "haproxy" if find_tool("haproxy") else "caddy"


def draining_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace_period: float) -> LocalCluster:
    monkeypatch.setenv("MARKER_DIR", str(tmp_path))
    monkeypatch.setenv("DRAIN_S", "2")
    return LocalCluster(
        proxy=available_proxy(),
        app_command=f"{sys.executable} {DRAINING_APP}",
        ready_timeout=30,
        grace_period=grace_period,
    )


def test_answers_of_the_dying_pod_during_its_grace_period_are_not_a_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = draining_cluster(tmp_path, monkeypatch, grace_period=4)
    try:
        app = cluster.deploy_app(AppSpec(name="hello", replicas=2))
        jar = RequestsCookieJar()
        with client_for(app, jar) as client:
            pinned = client.get_many(3)
        old_pid = pinned[-1].body["pid"]
        assert {r.body["pid"] for r in pinned} == {old_pid}, "the jar is pinned to one process"
        killed = kill_serving_pod(jar, app=app, grace_period=4)
    finally:
        cluster.close()
    after_kill = [r for r in killed.records[1:] if r.ok]  # records[0] is the probe before the deletion
    dying = [r for r in after_kill if r.body.get("pid") == old_pid]
    assert dying, "the scenario did not happen: the dying process never answered after SIGTERM"
    counted = after_kill[-1]  # the loop stops at the answer it counts as recovery
    assert counted.body.get("pid") != old_pid, (
        f"the answer counted as recovery came from the dying process (pid {old_pid}) after "
        f"{len(dying)} answers of it during its grace period"
    )
    assert (tmp_path / f"{killed.name}-{old_pid}.drained").exists(), "with 4 s of grace it drained and exited"


# -- the failover clock ------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def pod_server() -> Iterator[tuple[str, dict[str, str]]]:
    """A loopback server that answers as ``state["pod"]`` (``victim-0`` until the fake deletes it)."""
    state = {"pod": "victim-0"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            pod = state["pod"]
            body = json.dumps({"pod": pod}).encode()
            self.send_response(200)
            self.send_header("X-Pod-Name", pod)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", state
    server.shutdown()
    server.server_close()
    thread.join(5)


class SlowDeleteApp:
    """A StickyApp whose deletion call takes ``delete_takes`` seconds of the fake clock."""

    name = "hello"
    cookie_name = None
    behaviour = BEHAVIOURS["service-clientip"]
    store = "memory"
    reached_via = "a fake"

    def __init__(self, url: str, state: dict[str, str], clock: FakeClock, delete_takes: float) -> None:
        self.url = url
        self.headers: dict[str, str] = {}
        self.state = state
        self.clock = clock
        self.delete_takes = delete_takes
        self.served = ServedPods()

    def pods(self) -> list[str]:
        return [self.state["pod"]]

    def pod_uid(self, pod: str) -> str:
        return f"{pod}-uid"

    def delete_pod(self, pod: str, grace_period: float) -> str:
        self.state["pod"] = "other-0"  # from now on the neighbour answers
        self.clock.now += self.delete_takes  # an API call that took this long to return
        return f"{pod}-uid"

    def wait_replaced(self, pod: str, old_uid: str, timeout: float) -> str:
        return "new-uid"

    def explain_unreachable(self) -> str:
        return ""

    def diagnostics(self) -> dict[str, Any]:
        return {}


def test_the_failover_clock_starts_before_the_deletion_is_sent(
    pod_server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(failover, "time", clock)
    url, state = pod_server
    app = SlowDeleteApp(url, state, clock, delete_takes=5.0)
    killed = kill_serving_pod(RequestsCookieJar(), app=app)  # type: ignore[arg-type]
    assert (killed.name, killed.answered_by) == ("victim-0", "other-0")
    # the first answer after the deletion came at once; the deletion itself took 5 s: a user
    # waited at least those 5 s
    assert killed.recovered_after >= 5.0, killed.recovered_after
    assert killed.recovered_after < 5.5, killed.recovered_after


# -- without a jar: the pod that served the app's last request ---------------------------------------


def test_without_a_jar_the_pod_that_last_answered_this_app_is_killed(pod_server: tuple[str, dict[str, str]]) -> None:
    url, state = pod_server
    app = SlowDeleteApp(url, state, FakeClock(), delete_takes=0.0)
    with StickyClient(url) as unrecorded:  # no served=: the app's record stays empty
        assert unrecorded.get().pod == "victim-0"
    assert app.served.last is None
    assert_sticky(RequestsCookieJar(), url=url, requests=2, negative_control=False, served=app.served)
    assert app.served.last == "victim-0"
    killed = kill_serving_pod(app=app)  # type: ignore[arg-type]
    assert (killed.name, killed.answered_by) == ("victim-0", "other-0")
    assert app.served.last == "other-0", "the failover's own requests are recorded too"


def test_each_app_keeps_its_own_record_of_the_pod_that_served_it(pod_server: tuple[str, dict[str, str]]) -> None:
    """Two apps behind one origin (an ingress that routes by Host): a request to one is no
    request to the other, and a kill without a jar says what to pass."""
    url, state = pod_server
    first = SlowDeleteApp(url, state, FakeClock(), delete_takes=0.0)
    second = SlowDeleteApp(url, state, FakeClock(), delete_takes=0.0)
    with client_for(first) as client:  # type: ignore[arg-type]
        assert client.get().pod == "victim-0"
    assert (first.served.last, second.served.last) == ("victim-0", None)
    with pytest.raises(StickyError) as raised:
        kill_serving_pod(app=second)  # type: ignore[arg-type]
    assert str(raised.value) == (
        "kill_serving_pod() without a cookie jar kills the pod that served the last request to hello, but none "
        "has been recorded in app.served: pass a cookie jar, or send the requests through the fixtures, "
        "client_for(app), or with served=app.served (assert_sticky, assert_spread, StickyClient)"
    )
    assert state["pod"] == "victim-0", "nothing was deleted"


# -- --sticky-grace-period on the local cluster ------------------------------------------------------

GRACE_SUITE = """
import os
from pathlib import Path


def test_kill(kill_serving_pod, cookie_jar, sticky_config):
    killed = kill_serving_pod(cookie_jar)
    drained = sorted(p.name for p in Path(os.environ["MARKER_DIR"]).glob(killed.name + "-*.drained"))
    Path(os.environ["MARKER_DIR"], "result").write_text(f"{sticky_config.grace_period} {drained}")
"""


@pytest.mark.parametrize(("grace", "drains"), [("4", True), ("0", False)])
def test_local_replicas_get_the_grace_period_asked_for(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace: str, drains: bool
) -> None:
    """A replica that needs 2 s to drain finishes with --sticky-grace-period=4, not with 0 (nor with 1 s)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MARKER_DIR", str(markers))
    monkeypatch.setenv("DRAIN_S", "2")
    pytester.makepyfile(GRACE_SUITE)
    result = pytester.runpytest_subprocess(
        f"--sticky-grace-period={grace}",
        f"--sticky-app-command={sys.executable} {DRAINING_APP}",
        f"--sticky-local-proxy={available_proxy()}",
        "--sticky-replicas=2",
        timeout=120,
    )
    result.assert_outcomes(passed=1)
    given, _, drained = (markers / "result").read_text().partition(" ")
    assert given == grace
    assert (drained != "[]") is drains, f"--sticky-grace-period={grace}: drained markers {drained}"
    # At the session's end both live replicas get SIGTERM and the same grace period (as in a
    # namespace deletion): with 4 s they drain too, so three processes drained in all (the victim,
    # its replacement, the other replica); with 0 none did.
    every_drain = sorted(m.name for m in markers.glob("*.drained"))
    assert len(every_drain) == (3 if drains else 0), f"--sticky-grace-period={grace}: drained {every_drain}"


# -- teardown, apart from the atexit net -------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_closing_an_app_stops_its_replicas_and_proxy_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKER_DIR", str(tmp_path))
    cluster = LocalCluster(proxy=available_proxy(), ready_timeout=30, grace_period=1)
    before = set(descendants(os.getpid()))
    try:
        first = cluster.deploy_app(AppSpec(name="first", replicas=2))
        first_pids = set(descendants(os.getpid())) - before
        second = cluster.deploy_app(AppSpec(name="second", replicas=2))
        second_pids = set(descendants(os.getpid())) - before - first_pids
        assert len(first_pids) >= 3 and len(second_pids) >= 3, "two replicas and a proxy each"
        assert all(alive(pid) for pid in first_pids | second_pids)
        first.close()
        assert [pid for pid in first_pids if alive(pid)] == [], "LocalApp.close() left processes running"
        assert all(alive(pid) for pid in second_pids), "closing one app stopped another's processes"
        with client_for(second, RequestsCookieJar()) as client:
            assert client.get().ok, "the other app still answers"
    finally:
        cluster.close()
    assert [pid for pid in second_pids if alive(pid)] == [], "LocalCluster.close() left processes running"
