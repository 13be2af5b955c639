"""A load run in the run's evidence: its per-scenario row and its timeline, JSON-able (xdist)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_sticky.load.result import LoadResult, Mark
from pytest_sticky.load.timeline import Timeline, build, to_mermaid, to_rows, to_svg

if TYPE_CHECKING:
    from pytest_sticky.evidence import TestResult


@dataclass(frozen=True)
class LoadEvidence:
    """One ``sticky_load`` run, condensed: the totals of ``LoadResult``, its pods, its timeline."""

    label: str
    action: str
    browsers: int
    rate: float | None
    requests: int
    failed: int
    repinned: int
    """Browsers that changed pod (or affinity cookie) at least once."""
    sessions_lost: int
    """Browsers that lost their app session at least once."""
    rps: float
    wall_s: float
    action_start: float | None
    action_end: float | None
    action_error: str
    marks: list[Mark]
    pods: dict[str, int]
    timeline: Timeline

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadEvidence:
        fields = {k: v for k, v in data.items() if k not in ("marks", "timeline")}
        marks = [Mark(m["t"], m["label"]) for m in data["marks"]]
        return cls(**fields, marks=marks, timeline=Timeline.from_json(data["timeline"]))

    def title(self, nodeid: str) -> str:
        return f"{nodeid.rsplit('::', 1)[-1]}: {self.action}"

    def summary_lines(self) -> list[str]:
        """The terminal summary's lines for this load run."""
        head = (
            f"    load {self.label}: {self.action}: {self.browsers} browsers, {self.requests} requests "
            f"({self.rps:.0f}/s), {self.failed} failed, {self.repinned} re-pinned, "
            f"{self.sessions_lost} lost their session"
        )
        return [head, *to_rows(self.timeline, indent="      ")]

    def table_row(self, nodeid: str) -> str:
        """Its row of the per-scenario Markdown table."""
        name = nodeid.replace("|", "\\|")
        return (
            f"| `{name}` ({self.label}) | {self.action} | {self.browsers} | {self.requests} | "
            f"{self.failed} | {self.repinned} | {self.sessions_lost} |"
        )


def condense(label: str, result: LoadResult) -> LoadEvidence:
    return LoadEvidence.from_json(
        {"label": label, **result.summary_json(), "pods": result.pod_counts(), "timeline": build(result).to_json()}
    )


def table(loads: list[tuple[str, LoadEvidence]]) -> list[str]:
    """The per-scenario Markdown table."""
    return [
        "| test | action | browsers | requests | failed | re-pinned | sessions lost |",
        "|---|---|---|---|---|---|---|",
        *(load.table_row(nodeid) for nodeid, load in loads),
    ]


def all_loads(tests: dict[str, TestResult]) -> list[tuple[str, LoadEvidence]]:
    return [(nodeid, load) for nodeid, result in tests.items() for load in result.evidence.loads]


def svg_name(report: Path, index: int, nodeid: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", nodeid.rsplit("::", 1)[-1]).strip("-")[:60]
    return f"{report.stem}-timeline-{index}-{slug}.svg"


def write_svgs(report: Path, tests: dict[str, TestResult]) -> list[str]:
    """Write each load's timeline as an SVG beside ``report``; their file names, in order."""
    names = []
    for i, (nodeid, load) in enumerate(all_loads(tests), start=1):
        name = svg_name(report, i, nodeid)
        (report.parent / name).write_text(to_svg(load.timeline, load.title(nodeid)))
        names.append(name)
    return names


def markdown(tests: dict[str, TestResult], *, svg_files: list[str] | None) -> list[str]:
    """The load section of the Markdown report: the table, then per load its timeline as a
    linked SVG file (``svg_files``) or, for the GitHub job summary, as a Mermaid chart."""
    loads = all_loads(tests)
    if not loads:
        return []
    lines = ["", "### Sessions through churn", "", *table(loads)]
    for i, (nodeid, load) in enumerate(loads):
        title = load.title(nodeid)
        lines += ["", f"#### {title}", ""]
        if svg_files is not None:
            lines.append(f"![timeline of {title}]({svg_files[i]})")
        else:
            lines.append(to_mermaid(load.timeline, title).rstrip("\n"))
    return lines
