"""``--sticky-report=PATH``: the run's evidence as JSON or Markdown (and the GitHub job summary)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_sticky.evidence import NotRunEntry, TestResult, jsonable

REPORT_FORMATS = (".json", ".md")


@dataclass(frozen=True)
class Environment:
    """The run: its report header line and the settings that shape it."""

    header: str
    cluster: str
    replicas: int
    strict: bool


@dataclass
class Document:
    """The report: evidence per test, and the tests that did not run (counted per kind, with reasons)."""

    environment: Environment
    tests: dict[str, TestResult]
    not_run: dict[str, NotRunEntry] = field(default_factory=dict)

    @property
    def not_run_counts(self) -> dict[str, int]:
        from pytest_sticky.summary import not_run_counts

        return not_run_counts(self.not_run)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": jsonable(self.environment),
            "tests": jsonable(self.tests),
            "not_run": jsonable(self.not_run),
            "not_run_counts": self.not_run_counts,
        }


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_row(nodeid: str, result: TestResult) -> str:
    """A test's row of the Markdown table."""
    ev = result.evidence
    pods = ", ".join(f"{p}: {n}" for p, n in ev.distribution.items()) or "-"
    cookies = "<br>".join(f"`{h}`" for h in ev.cookies.values()) or "-"
    failovers = "<br>".join(f.cell() for f in ev.failovers) or "-"
    via = "<br>".join(ev.reached_via) or "-"
    return f"| `{_escape(nodeid)}` | {result.outcome} | {via} | {ev.requests} | {pods} | {cookies} | {failovers} |"


def to_markdown(doc: Document, *, svg_files: list[str] | None = None) -> str:
    """The report; load timelines as the linked ``svg_files``, or as Mermaid charts without them."""
    from pytest_sticky.load.evidence import markdown as load_markdown

    lines = ["## pytest-sticky", "", f"**{doc.environment.header}**", ""]
    lines += [
        "| test | outcome | reached via | requests | pods (requests) | affinity cookie | failover |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [markdown_row(nodeid, result) for nodeid, result in doc.tests.items()]
    if doc.not_run:
        counts = ", ".join(f"{n} {kind}" for kind, n in doc.not_run_counts.items())
        lines += ["", f"**Not run: {counts}**", "", "| test | why | outcome |", "|---|---|---|"]
        for nodeid, entry in doc.not_run.items():
            lines.append(f"| `{_escape(nodeid)}` | {entry.kind}: {_escape(entry.reason)} | {entry.outcome} |")
    lines += load_markdown(doc.tests, svg_files=svg_files)
    return "\n".join(lines) + "\n"


def write(path: Path, doc: Document) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(jsonable(doc), indent=2, sort_keys=True) + "\n")
    else:
        from pytest_sticky.load.evidence import write_svgs

        path.write_text(to_markdown(doc, svg_files=write_svgs(path, doc.tests)))


def append_github_summary(doc: Document) -> Path | None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(to_markdown(doc))
    return Path(target)
