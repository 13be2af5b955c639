"""``--sticky-report=PATH``: the run's evidence as JSON or Markdown (and the GitHub job summary)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPORT_FORMATS = (".json", ".md")


def document(
    environment: dict[str, Any], results: dict[str, dict[str, Any]], not_run: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    """The report: evidence per test, and the tests that did not run (counted per kind, with reasons)."""
    from pytest_sticky.summary import not_run_counts

    not_run = not_run or {}
    return {"environment": environment, "tests": results, "not_run": not_run, "not_run_counts": not_run_counts(not_run)}


def to_markdown(doc: dict[str, Any], *, svg_files: list[str] | None = None) -> str:
    """The report; load timelines as the linked ``svg_files``, or as Mermaid charts without them."""
    from pytest_sticky.load.evidence import markdown as load_markdown

    env = doc["environment"]
    lines = ["## pytest-sticky", "", f"**{env.get('header', '')}**", ""]
    lines += [
        "| test | outcome | reached via | requests | pods (requests) | affinity cookie | failover |",
        "|---|---|---|---|---|---|---|",
    ]
    for nodeid, ev in doc["tests"].items():
        pods = ", ".join(f"{p}: {n}" for p, n in ev["distribution"].items()) or "-"
        cookies = "<br>".join(f"`{h}`" for h in ev["cookies"].values()) or "-"
        failovers = (
            "<br>".join(
                f"{f['pod']}: answered after {f['recovered_after_s'] * 1000:.0f} ms, "
                f"replaced after {f['replaced_after_s'] * 1000:.0f} ms"
                for f in ev["failovers"]
            )
            or "-"
        )
        name = nodeid.replace("|", "\\|")
        via = "<br>".join(ev.get("reached_via", [])) or "-"
        lines.append(
            f"| `{name}` | {ev.get('outcome', '')} | {via} | {ev['requests']} | {pods} | {cookies} | {failovers} |"
        )
    not_run = doc.get("not_run") or {}
    if not_run:
        counts = ", ".join(f"{n} {kind}" for kind, n in doc.get("not_run_counts", {}).items())
        lines += ["", f"**Not run: {counts}**", "", "| test | why | outcome |", "|---|---|---|"]
        for nodeid, entry in not_run.items():
            name = nodeid.replace("|", "\\|")
            reason = entry["reason"].replace("|", "\\|")
            lines.append(f"| `{name}` | {entry['kind']}: {reason} | {entry.get('outcome', '')} |")
    lines += load_markdown(doc["tests"], svg_files=svg_files)
    return "\n".join(lines) + "\n"


def write(path: Path, doc: dict[str, Any]) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        from pytest_sticky.load.evidence import write_svgs

        path.write_text(to_markdown(doc, svg_files=write_svgs(path, doc["tests"])))


def append_github_summary(doc: dict[str, Any]) -> Path | None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(to_markdown(doc))
    return Path(target)
