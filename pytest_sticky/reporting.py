"""Collects every test's evidence (also from xdist workers) for the summary and report files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_sticky.options import StickyConfig


class EvidenceCollector:
    """A plugin object: one per pytest run, so in-process pytester runs stay apart."""

    def __init__(self, config: pytest.Config, sticky: StickyConfig) -> None:
        self.config = config
        self.sticky = sticky
        self.results: dict[str, dict[str, Any]] = {}
        self.is_worker = hasattr(config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" or not report.user_properties:
            return
        from pytest_sticky.evidence import from_report

        evidence = from_report(report.user_properties)
        if evidence is not None:
            self.results[report.nodeid] = {**evidence, "outcome": report.outcome}

    def header(self) -> str:
        from pytest_sticky.environment import describe

        return describe(self.sticky)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results or self.is_worker:
            return
        from pytest_sticky.summary import render

        verbosity = self.config.get_verbosity()
        if verbosity >= 0:
            terminalreporter.write_sep("=", "sticky sessions")
        for line in render(self.header(), self.results, verbose=verbosity):
            terminalreporter.write_line(line)

    def pytest_sessionfinish(self) -> None:
        if self.is_worker or (not self.results and not self.sticky.report):
            return
        from pytest_sticky.report_files import append_github_summary, document, write

        doc = document(
            {"header": self.header(), "cluster": self.sticky.cluster, "replicas": self.sticky.replicas}, self.results
        )
        if self.sticky.report:
            write(Path(self.sticky.report), doc)
        if self.results:
            append_github_summary(doc)
