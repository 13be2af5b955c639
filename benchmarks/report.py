"""The table printed at the end of a run, and the JSON written beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.stats import Summary


@dataclass(frozen=True)
class Goal:
    op: Literal[">=", "<"]
    threshold: float

    @property
    def text(self) -> str:
        return f"{self.op} {self.threshold:g}"

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.op == ">=" else value < self.threshold


@dataclass(frozen=True)
class Row:
    """One line of the table. ``key`` is the figure's top-level JSON key ("" for information)."""

    label: str
    unit: str
    summary: Summary | None
    key: str = ""
    goal: Goal | None = None
    missing: str = ""
    """Why there is no figure, when ``summary`` is None."""
    digits: int = 1

    @property
    def met(self) -> bool | None:
        if self.summary is None or self.goal is None:
            return None
        return self.goal.met(self.summary.median)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "unit": self.unit}
        if self.summary is not None:
            out.update(self.summary.to_json(max(self.digits + 2, 4)))
        else:
            out["missing"] = self.missing
        if self.goal is not None:
            out["goal"] = self.goal.text
            out["goal_met"] = self.met
        return out


@dataclass
class Report:
    mode: str
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    """What bounds each figure, in words, from the measured parts."""
    details: dict[str, Any] = field(default_factory=dict)
    extra_keys: dict[str, Any] = field(default_factory=dict)
    """Further top-level keys (reasons for missing figures, say)."""


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    header = ("figure", "unit", "median", "min", "max", "n", "goal", "met")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        name = f"{row.key}: {row.label}" if row.key else f"  {row.label}"
        if row.summary is None:
            cells = ("-", "-", "-", "0")
        else:
            s = row.summary
            cells = (_number(s.median, row.digits), _number(s.min, row.digits), _number(s.max, row.digits), str(s.n))
        met = {True: "yes", False: "NO", None: ""}[row.met]
        if row.summary is None and row.goal is not None:
            met = "n/a"
        lines.append((name, row.unit, *cells, row.goal.text if row.goal else "", met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 3, 4, 5}
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(line))
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    missing = [f"  {row.key or row.label}: {row.missing}" for row in rows if row.summary is None and row.missing]
    return "\n".join(out + (["", "missing:", *missing] if missing else []))


def to_json(report: Report, *, environment: dict[str, Any], repetitions: dict[str, Any], run_time_s: float) -> Any:
    figures = {row.key: row for row in report.rows if row.key}
    top: dict[str, Any] = {
        key: round(row.summary.median, max(row.digits + 2, 4)) if row.summary is not None else None
        for key, row in figures.items()
    }
    return {
        **top,
        **report.extra_keys,
        "mode": report.mode,
        "repetitions": repetitions,
        "run_time_s": round(run_time_s, 1),
        "goals": {key: {"goal": row.goal.text, "met": row.met} for key, row in figures.items() if row.goal},
        "figures": {row.key or row.label: row.to_json() for row in report.rows},
        "bounds": report.notes,
        "details": report.details,
        "environment": environment,
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
