"""A load run in the run's evidence: its per-scenario row and its timeline, JSON-able (xdist)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pytest_sticky.load.result import LoadResult
from pytest_sticky.load.timeline import Timeline, build, to_mermaid, to_rows, to_svg


def condense(label: str, result: LoadResult) -> dict[str, Any]:
    return {"label": label, **result.summary_json(), "pods": result.pod_counts(), "timeline": build(result).to_json()}


def summary_lines(load: dict[str, Any]) -> list[str]:
    """The terminal summary's lines for one load run."""
    head = (
        f"    load {load['label']}: {load['action']}: {load['browsers']} browsers, {load['requests']} requests "
        f"({load['rps']:.0f}/s), {load['failed']} failed, {load['repinned']} re-pinned, "
        f"{load['sessions_lost']} lost their session"
    )
    return [head, *to_rows(Timeline.from_json(load["timeline"]), indent="      ")]


def table(loads: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The per-scenario Markdown table."""
    lines = [
        "| test | action | browsers | requests | failed | re-pinned | sessions lost |",
        "|---|---|---|---|---|---|---|",
    ]
    for nodeid, load in loads:
        name = nodeid.replace("|", "\\|")
        lines.append(
            f"| `{name}` ({load['label']}) | {load['action']} | {load['browsers']} | {load['requests']} | "
            f"{load['failed']} | {load['repinned']} | {load['sessions_lost']} |"
        )
    return lines


def all_loads(tests: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(nodeid, load) for nodeid, ev in tests.items() for load in ev.get("loads", [])]


def svg_name(report: Path, index: int, nodeid: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", nodeid.rsplit("::", 1)[-1]).strip("-")[:60]
    return f"{report.stem}-timeline-{index}-{slug}.svg"


def write_svgs(report: Path, tests: dict[str, dict[str, Any]]) -> list[str]:
    """Write each load's timeline as an SVG beside ``report``; their file names, in order."""
    names = []
    for i, (nodeid, load) in enumerate(all_loads(tests), start=1):
        name = svg_name(report, i, nodeid)
        title = f"{nodeid.rsplit('::', 1)[-1]}: {load['action']}"
        (report.parent / name).write_text(to_svg(Timeline.from_json(load["timeline"]), title))
        names.append(name)
    return names


def markdown(tests: dict[str, dict[str, Any]], *, svg_files: list[str] | None) -> list[str]:
    """The load section of the Markdown report: the table, then per load its timeline as a
    linked SVG file (``svg_files``) or, for the GitHub job summary, as a Mermaid chart."""
    loads = all_loads(tests)
    if not loads:
        return []
    lines = ["", "### Sessions through churn", "", *table(loads)]
    for i, (nodeid, load) in enumerate(loads):
        title = f"{nodeid.rsplit('::', 1)[-1]}: {load['action']}"
        lines += ["", f"#### {title}", ""]
        if svg_files is not None:
            lines.append(f"![timeline of {title}]({svg_files[i]})")
        else:
            lines.append(to_mermaid(Timeline.from_json(load["timeline"]), title).rstrip("\n"))
    return lines
