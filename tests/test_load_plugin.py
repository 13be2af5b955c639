"""The ``sticky_load`` fixture in a pytest run: summary rows, report timeline, budget failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import mermaid
from tests.tools import need_tool

SUITE = """
from pytest_sticky import RollingRestart

def test_steady(sticky_load):
    result = sticky_load(browsers=6, rate=60, duration=1.0)
    assert result.failed == 0 and result.requests > 20

def test_rollout_over_budget(sticky_load):
    # in-memory sessions and a restart of the highest ordinal: its browsers lose their session
    sticky_load(browsers=12, rate=60, duration=20, action=RollingRestart(partition=2), max_sessions_lost=0)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    need_tool("haproxy")
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_load_runs_show_in_the_summary_the_report_and_the_job_summary(
    suite: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "evidence.md"
    job_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    result = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sticky-local-proxy=haproxy", f"--sticky-report={report}", timeout=180
    )
    result.assert_outcomes(passed=1, failed=1)
    # the failure: what broke the budget, the timeline, and each troubled browser's requests
    result.stdout.fnmatch_lines(
        [
            "*LoadBudgetError: sticky_load during rolling restart (grace 1 s, ordinals >= 2): "
            "* browsers lost their session (budget 0)",
            "*12 browsers, * requests (*/s), 0 failed, * re-pinned, * lost their session",
            "*timeline:",
            "*hello-2 |*|*",
            "*errors  |*| 0",
            "*: * s hello-2 out of the proxy, terminating",
            "*browsers with errors, re-pins or lost sessions:",
            "*browser *: * requests, 0 errors, pods hello-2 -> hello-?, 1 re-pins, 1 sessions lost",
            "*t s*status*pod*affinity*session:count*ms",
        ]
    )
    # the terminal summary: the scenario's row and its compact timeline
    result.stdout.fnmatch_lines(
        [
            "*= sticky sessions =*",
            "test_suite.py::test_steady  [[]passed[]]  * requests",
            "    load hello #1: none: 6 browsers, * requests (*/s), 0 failed, 0 re-pinned, 0 lost their session",
            "      hello-? |*| *",
        ]
    )
    markdown = report.read_text()
    assert "### Sessions through churn" in markdown
    assert "| test | action | browsers | requests | failed | re-pinned | sessions lost |" in markdown
    svgs = sorted(p.name for p in tmp_path.glob("evidence-timeline-*.svg"))
    assert svgs == ["evidence-timeline-1-test-steady.svg", "evidence-timeline-2-test-rollout-over-budget.svg"]
    assert f"]({svgs[1]})" in markdown
    assert (tmp_path / svgs[1]).read_text().startswith("<svg ")
    summary = job_summary.read_text()
    assert "```mermaid" in summary and "xychart-beta" in summary
    charts = mermaid.blocks(summary)
    assert len(charts) == 2, "one chart per load"
    assert mermaid.parse(charts) == [{"ok": True, "type": "xychart"}] * 2, (
        "GitHub shows a chart Mermaid cannot parse as an error"
    )
    assert ".svg)" not in summary  # the job summary cannot show files beside the report


def test_bad_load_input_fails_the_test_with_the_bounds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
def test_too_many(sticky_load):
    sticky_load(browsers=10_000)
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LoadInputError: sticky_load: browsers=10000 is out of bounds (1 to 500)"])
