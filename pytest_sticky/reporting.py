"""Collects every test's evidence (also from xdist workers) for the summary and report files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sticky.options import StickyConfig

if TYPE_CHECKING:
    from pytest_sticky.evidence import NotRunEntry, TestResult


class EvidenceCollector:
    """A plugin object: one per pytest run, so in-process pytester runs stay apart."""

    def __init__(self, config: pytest.Config, sticky: StickyConfig) -> None:
        self.config = config
        self.sticky = sticky
        self.results: dict[str, TestResult] = {}
        self.not_run: dict[str, NotRunEntry] = {}
        """Tests that could not run (a missing capability, another cluster type): kind and reason."""
        self.is_worker = hasattr(config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.user_properties:
            return
        from pytest_sticky import capabilities
        from pytest_sticky.evidence import NotRunEntry, TestResult, from_report

        not_run = capabilities.from_report(report.user_properties)
        if not_run is not None:
            kind, reason = not_run
            self.not_run[report.nodeid] = NotRunEntry(kind, reason, report.outcome)
        if report.when != "call":
            return
        evidence = from_report(report.user_properties)
        if evidence is not None:
            self.results[report.nodeid] = TestResult(evidence, report.outcome)

    def header(self) -> str:
        from pytest_sticky.environment import describe

        return describe(self.sticky)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.results or self.not_run) or self.is_worker:
            return
        from pytest_sticky.summary import render, render_not_run

        verbosity = self.config.get_verbosity()
        if verbosity >= 0:
            terminalreporter.write_sep("=", "sticky sessions")
        if self.results:
            for line in render(self.header(), self.results, verbose=verbosity):
                terminalreporter.write_line(line)
        for line in render_not_run(self.not_run, strict=self.sticky.strict, verbose=verbosity):
            terminalreporter.write_line(line)

    def pytest_sessionfinish(self) -> None:
        if self.is_worker or (not self.results and not self.not_run and not self.sticky.report):
            return
        from pytest_sticky.report_files import Document, Environment, append_github_summary, write

        environment = Environment(self.header(), self.sticky.cluster, self.sticky.replicas, self.sticky.strict)
        doc = Document(environment, self.results, self.not_run)
        if self.sticky.report:
            write(Path(self.sticky.report), doc)
        if self.results or self.not_run:
            append_github_summary(doc)
