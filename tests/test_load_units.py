"""sticky_load's parts on their own: input bounds, per-browser verdicts, timelines, kube moments."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_sticky import RollingRestart, ScaleTo
from pytest_sticky.kube.rollout import PodMoments
from pytest_sticky.load.failure import LoadBudgetError, check_budget
from pytest_sticky.load.result import Hit, LoadResult, Mark
from pytest_sticky.load.spec import LoadInputError, LoadSpec
from pytest_sticky.load.timeline import Timeline, build, to_mermaid, to_rows, to_svg


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"browsers": 0}, "browsers=0 is out of bounds (1 to 500)"),
        ({"browsers": 501}, "browsers=501 is out of bounds"),
        ({"browsers": 2.5}, "browsers must be an integer"),
        ({"rate": 0}, "rate=0 requests/s is out of bounds"),
        ({"rate": -5}, "rate=-5 requests/s is out of bounds"),
        ({"rate": 1e9}, "out of bounds"),
        ({"rate": math.nan}, "rate must be a finite number"),
        ({"rate": 0.01, "browsers": 100}, "more than 600 s between requests"),
        ({"duration": 0}, "duration=0 s is out of bounds (0.1 to 600 s)"),
        ({"duration": 3600}, "duration=3600 s is out of bounds"),
        ({"duration": "10"}, "duration must be a finite number, not '10'"),
        ({"settle": 5, "duration": 2}, "settle=5 s is out of bounds"),
        ({"timeout": 0}, "timeout=0 s is out of bounds"),
        ({"path": "session"}, "path must start with '/'"),
    ],
)
def test_out_of_bounds_parameters_are_refused_with_the_bounds(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(LoadInputError) as caught:
        LoadSpec(**kwargs)
    assert message in str(caught.value)


def test_bounded_parameters_are_accepted_and_pace_each_browser() -> None:
    assert LoadSpec(browsers=20, rate=100).interval == pytest.approx(0.2)
    assert LoadSpec(browsers=50, rate=None).interval == 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ScaleTo(0), "replicas=0 is out of bounds (1 to 50)"),
        (lambda: ScaleTo(True), "replicas must be an integer"),
        (lambda: RollingRestart(partition=-1), "partition must be an integer >= 0"),
        (lambda: RollingRestart(grace_period=-1), "grace_period=-1 s is out of bounds"),
    ],
)
def test_actions_refuse_bad_counts(make: Any, message: str) -> None:
    with pytest.raises(LoadInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def _hit(t: float, browser: int, pod: str | None, session: str | None, count: int | None, **kw: Any) -> Hit:
    return Hit(
        t=t,
        browser=browser,
        status=kw.get("status", 200 if pod else None),
        pod=pod,
        affinity=kw.get("affinity", f"c-{pod}"),
        session=session,
        count=count,
        elapsed=0.001,
        error=kw.get("error", ""),
    )


def _result(hits: list[Hit], browsers: int, action_start: float = 1.0) -> LoadResult:
    return LoadResult(
        action="rolling restart",
        browsers_n=browsers,
        rate=100.0,
        hits=hits,
        marks=[Mark(1.0, "begins"), Mark(2.0, "hello-2 ready")],
        action_start=action_start,
        action_end=2.0,
        wall_s=3.0,
    )


def test_each_browser_is_judged_on_errors_repins_and_session_continuity() -> None:
    hits = [
        # browser 0: stays on hello-0, its session counts 1, 2, 3
        _hit(0.1, 0, "hello-0", "s0", 1),
        _hit(1.5, 0, "hello-0", "s0", 2),
        _hit(2.5, 0, "hello-0", "s0", 3),
        # browser 1: on hello-2, one failed request, re-pinned to hello-1 with a new session
        _hit(0.2, 1, "hello-2", "s1", 1),
        _hit(1.2, 1, None, None, None, error="ClientConnectorError"),
        _hit(1.4, 1, "hello-1", "s1b", 1),
        _hit(2.6, 1, "hello-1", "s1b", 2),
        # browser 2: same pod name, new affinity cookie (a new incarnation), session kept (Redis)
        # but a count skipped (a request counted whose answer was lost)
        _hit(0.3, 2, "hello-2", "s2", 1, affinity="old"),
        _hit(1.3, 2, "hello-2", "s2", 2, affinity="new"),
        _hit(2.3, 2, "hello-2", "s2", 4, affinity="new"),
    ]
    result = _result(hits, browsers=3)
    b0, b1, b2 = result.browsers
    assert (b0.errors, b0.repins, b0.sessions_lost, b0.continuous) == (0, 0, 0, True)
    assert (b1.errors, b1.repins, b1.sessions_lost, b1.pods) == (1, 1, 1, ("hello-2", "hello-1"))
    assert (b2.repins, b2.sessions_lost, b2.count_gaps, b2.continuous) == (1, 0, 1, False)
    assert result.pinned_before_action({"hello-2"}) == {1, 2}
    assert result.lost_session() == {1}
    assert result.repinned_browsers() == {1, 2}
    assert result.with_errors() == {1}
    assert (result.requests, result.failed, result.repinned, result.sessions_lost) == (10, 1, 2, 1)


def test_a_run_over_its_budget_fails_with_the_timeline_and_the_browser_trace() -> None:
    hits = [
        _hit(0.1, 0, "hello-2", "a", 1),
        _hit(1.5, 0, None, None, None, error="ServerDisconnectedError"),
        _hit(1.6, 0, "hello-0", "b", 1),
        _hit(0.2, 1, "hello-0", "c", 1),
    ]
    result = _result(hits, browsers=2)
    check_budget(result, max_failed=1, max_sessions_lost=1)
    with pytest.raises(LoadBudgetError) as caught:
        check_budget(result, max_failed=0, max_sessions_lost=0)
    text = str(caught.value)
    assert "1 requests failed (budget 0); 1 browsers lost their session (budget 0)" in text
    assert "timeline:" in text and "hello-2 |" in text and "errors  |" in text
    assert "browser 0: 3 requests, 1 errors, pods hello-2 -> hello-0, 1 re-pins, 1 sessions lost" in text
    assert "ServerDisconnectedError" in text
    assert "browser 1:" not in text  # a browser that lost nothing is not traced


def test_the_timeline_counts_requests_per_pod_and_errors_per_bucket() -> None:
    hits = [_hit(0.05, 0, "hello-0", "s", 1), _hit(0.15, 0, "hello-0", "s", 2), _hit(0.25, 1, "hello-1", "t", 1)]
    hits.append(_hit(0.26, 1, None, None, None, error="x"))
    result = LoadResult("kill", 2, 10.0, hits, [Mark(0.2, "hello-1 killed")], 0.2, 0.3, 0.3)
    tl = build(result)
    assert tl.bucket_s == pytest.approx(0.1)
    assert tl.pods == {"hello-0": [1, 1, 0], "hello-1": [0, 0, 1]}
    assert tl.errors == [0, 0, 1]
    assert Timeline.from_json(tl.to_json()) == tl
    rows = to_rows(tl, indent="")
    assert rows[0] == "hello-0 |██ | 2"
    assert rows[1] == "hello-1 |  █| 1"
    assert rows[2] == "errors  |  x| 1"
    assert rows[3] == "        |  1| 0.3 s"
    assert rows[4] == "  1: 0.20 s hello-1 killed"


def test_the_svg_is_well_formed_with_red_errors_and_marked_moments() -> None:
    tl = Timeline(0.5, {"hello-0": [2, 3, 1, 0], "hello-1": [1, 0, 0, 2]}, [0, 1, 4, 0], [(0.6, "hello-1 <killed>")])
    svg = to_svg(tl, "a & b")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 2
    red = [r for r in root.findall(f"{ns}rect") if r.get("fill") == "#d62728"]
    assert len(red) == 1 + 2  # the legend's swatch and one bar per bucket with errors
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    assert "1. 0.60 s  hello-1 <killed>" in texts
    assert "a & b" in texts
    assert "errors (5)" in texts


def test_the_mermaid_chart_has_one_line_per_pod_and_the_errors_as_bars() -> None:
    tl = Timeline(0.5, {"hello-0": [2, 3], "hello-1": [1, 0]}, [0, 1], [(0.6, "hello-1 killed")])
    chart = to_mermaid(tl, "kill")
    assert chart.startswith("```mermaid\n")
    assert "    bar [0, 2]" in chart
    assert "    line [4, 6]" in chart and "    line [2, 0]" in chart
    assert '"0.5▲1"' in chart
    assert "1. ▲1 0.60 s: hello-1 killed" in chart


def _pod(name: str, uid: str, *, ready: bool = False, deleting: bool = False) -> Any:
    condition = SimpleNamespace(type="Ready", status="True" if ready else "False")
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, uid=uid, deletion_timestamp="now" if deleting else None),
        status=SimpleNamespace(conditions=[condition], container_statuses=[], init_container_statuses=[]),
    )


def test_kube_pod_states_become_the_rollouts_moments() -> None:
    marks: list[str] = []
    moments = PodMoments(marks.append, {"hello-0": "u0", "hello-1": "u1"})
    moments.note({"hello-0": _pod("hello-0", "u0", ready=True), "hello-1": _pod("hello-1", "u1", deleting=True)})
    moments.note({"hello-0": _pod("hello-0", "u0", ready=True), "hello-1": _pod("hello-1", "u1", deleting=True)})
    moments.note({"hello-0": _pod("hello-0", "u0", ready=True)})
    moments.note({"hello-0": _pod("hello-0", "u0", ready=True), "hello-1": _pod("hello-1", "u9")})
    moments.note({"hello-0": _pod("hello-0", "u0", ready=True), "hello-1": _pod("hello-1", "u9", ready=True)})
    assert marks == ["hello-1 terminating", "hello-1 gone", "hello-1 ready"]


def test_every_cluster_types_app_offers_the_rollout_actions() -> None:
    from pytest_sticky.kube.app import KubeApp
    from pytest_sticky.load.actions import RollingApp, ScalableApp
    from pytest_sticky.local.cluster import LocalApp
    from pytest_sticky.openshift.cluster import OpenShiftApp

    for cls in (LocalApp, KubeApp, OpenShiftApp):
        app = object.__new__(cls)
        assert isinstance(app, RollingApp) and isinstance(app, ScalableApp), cls.__name__


def test_an_app_without_rollouts_gets_a_clear_error() -> None:
    from pytest_sticky.errors import StickyError

    with pytest.raises(StickyError, match="a rolling restart needs an app that supports it; object does not"):
        RollingRestart().run(object(), timeout=1, mark=print)
