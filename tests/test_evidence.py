"""The evidence a run leaves: terminal summary, report files, job summary, xdist merge, progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_sticky.progress import TerminalProgress, attach, detach, phase
from tests.tools import need_tool

SUITE = """
def test_pinned(assert_sticky, cookie_jar):
    assert_sticky(cookie_jar, requests=10)

def test_failover(assert_sticky, kill_serving_pod, cookie_jar):
    assert_sticky(cookie_jar, requests=5, negative_control=False)
    kill_serving_pod(cookie_jar)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    need_tool("haproxy")
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_the_summary_shows_requests_pods_cookie_and_failover(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*= sticky sessions =*",
            "pytest-sticky *: cluster=local*proxy=haproxy*",
            "* requests in 2 tests; 1 failovers, recovered after * ms (median)",
            "test_suite.py::test_pinned  [[]passed[]]  * requests",
            "    reached via haproxy on http://127.0.0.1:*",
            "    affinity cookie *",
            "    hello-? █*",
            "test_suite.py::test_failover  [[]passed[]]  * requests",
            "    failover: hello-? killed, answered again after * ms by hello-?, replaced after * ms",
        ]
    )


def test_quiet_gives_one_line_and_verbose_gives_every_trace(suite: pytest.Pytester) -> None:
    quiet = suite.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=120)
    quiet.stdout.fnmatch_lines(["pytest-sticky: * requests in 2 tests; 1 failovers, *"])
    quiet.stdout.no_fnmatch_line("*= sticky sessions =*")
    quiet.stdout.no_fnmatch_line("*█*")
    verbose = suite.runpytest_subprocess("-v", "-p", "no:cacheprovider", timeout=120)
    verbose.stdout.fnmatch_lines(
        [
            "*= sticky sessions =*",
            "  sticky: 10 requests, 0 failed",
            "  negative control: * requests, 0 failed",
            "  failover: * requests, 0 failed",
        ],
        consecutive=False,
    )


def _check_document(doc: dict[str, Any]) -> None:
    assert doc["environment"]["cluster"] == "local"
    assert "proxy=haproxy" in doc["environment"]["header"]
    pinned = doc["tests"]["test_suite.py::test_pinned"]
    assert pinned["outcome"] == "passed"
    assert pinned["requests"] == sum(pinned["distribution"].values()) >= 12
    assert [t["label"] for t in pinned["traces"]] == ["sticky", "negative control"]
    assert len(pinned["cookies"]) == 1
    (failover,) = doc["tests"]["test_suite.py::test_failover"]["failovers"]
    assert failover["recovered_after_s"] > 0 and failover["replaced_after_s"] >= failover["recovered_after_s"]
    assert failover["cookie_changed"] is True  # HAProxy: a new cookie when the pod is gone


def test_the_json_report_has_every_test_with_requests_cookies_and_failovers(
    suite: pytest.Pytester, tmp_path: Path
) -> None:
    report = tmp_path / "evidence.json"
    suite.runpytest_subprocess("-p", "no:cacheprovider", f"--sticky-report={report}", timeout=120).assert_outcomes(
        passed=2
    )
    _check_document(json.loads(report.read_text()))


def test_the_markdown_report_and_the_github_job_summary(
    suite: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "evidence.md"
    job_summary = tmp_path / "step-summary.md"
    job_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    suite.runpytest_subprocess("-p", "no:cacheprovider", f"--sticky-report={report}", timeout=120).assert_outcomes(
        passed=2
    )
    markdown = report.read_text()
    assert markdown.startswith("## pytest-sticky")
    assert "| test | outcome | reached via | requests | pods (requests) | affinity cookie | failover |" in markdown
    assert "| `test_suite.py::test_failover` | passed |" in markdown
    assert "answered after" in markdown
    assert job_summary.read_text() == "earlier step\n" + markdown  # appended, not overwritten


def test_xdist_workers_results_are_merged(suite: pytest.Pytester, tmp_path: Path) -> None:
    pytest.importorskip("xdist", reason="pytest-xdist is not installed: pip install 'pytest-sticky[test]'")
    report = tmp_path / "evidence.json"
    result = suite.runpytest_subprocess(
        "-n", "2", "-p", "xdist", "-p", "no:cacheprovider", f"--sticky-report={report}", timeout=180
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["* requests in 2 tests; 1 failovers, *"])
    _check_document(json.loads(report.read_text()))


def test_a_usage_error_for_a_report_name_without_a_known_suffix(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--sticky-report=evidence.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*must end in .json or .md*"])


class FakeTerminal:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.rewrites: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)

    def rewrite(self, line: str) -> None:
        self.rewrites.append(line)

    def write(self, text: str) -> None:
        self.lines.append(text)


def _slow_phase(terminal: FakeTerminal, *, live: bool) -> None:
    import threading

    printer = TerminalProgress(terminal, live=live, after=0.05, tick=0.02)
    attach(printer)
    try:
        done = threading.Event()
        with phase("the cluster to be created"):
            done.wait(0.3)
        with phase("a quick thing"):
            pass
    finally:
        printer.close()
        detach(printer)


def test_phases_reach_the_progress_handler_and_not_pytests_captured_logs(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from pytest_sticky.progress import PHASE

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[tuple[str, str]] = []

        def emit(self, record: logging.LogRecord) -> None:
            event, what, _ = getattr(record, PHASE)
            self.events.append((event, what))

    handler = Collect()
    attach(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            with phase("the node"):
                pass
            with pytest.raises(RuntimeError), phase("a failing wait"):
                raise RuntimeError("boom")
    finally:
        detach(handler)
    assert handler.events == [
        ("start", "the node"),
        ("done", "the node"),
        ("start", "a failing wait"),
        ("failed", "a failing wait"),
    ]
    assert [r for r in caplog.records if r.name == "pytest_sticky.progress"] == []


def test_progress_in_ci_logs_is_one_line_at_the_start_and_one_at_the_end() -> None:
    terminal = FakeTerminal()
    _slow_phase(terminal, live=False)
    assert terminal.lines[0].startswith("sticky: waiting for the cluster to be created (")
    assert terminal.lines[1].startswith("sticky: the cluster to be created: done after 0.")
    assert len(terminal.lines) == 2, terminal.lines  # the quick phase prints nothing
    assert terminal.rewrites == []


def test_progress_in_a_terminal_is_a_live_line() -> None:
    terminal = FakeTerminal()
    _slow_phase(terminal, live=True)
    assert terminal.lines[0].startswith("sticky: waiting for the cluster to be created")
    assert len(terminal.rewrites) >= 3, terminal.rewrites  # updated in place while it waits
    assert terminal.rewrites[-1].startswith("sticky: the cluster to be created: done after")
