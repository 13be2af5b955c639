"""A load run as a picture: requests per pod over time, the action's moments, errors in red.

Three renderings of one bucketed ``Timeline`` (which is small and JSON-able, so it travels
from xdist workers to the report):

- ``to_svg``: a self-contained SVG (no dependency), written beside the Markdown report;
- ``to_mermaid``: a Mermaid ``xychart-beta`` for the GitHub job summary, which renders Mermaid
  code blocks but strips inline SVG and ``data:`` images;
- ``to_rows``: one unicode row per pod for the terminal summary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from pytest_sticky.load.result import LoadResult

BUCKETS = 60
MIN_BUCKET_S = 0.1
"""Shorter buckets would hold a handful of requests each at the usual rates: noise, not a picture."""
PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
ERROR_COLOUR = "#d62728"
LEVELS = " ▁▂▃▄▅▆▇█"


@dataclass
class Timeline:
    bucket_s: float
    pods: dict[str, list[int]]
    """Successful requests per bucket, per serving pod."""
    errors: list[int]
    marks: list[tuple[float, str]]

    @property
    def buckets(self) -> int:
        return len(self.errors)

    @property
    def seconds(self) -> float:
        return self.bucket_s * self.buckets

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket_s": self.bucket_s,
            "pods": self.pods,
            "errors": self.errors,
            "marks": [[round(t, 4), label] for t, label in self.marks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timeline:
        return cls(
            bucket_s=float(data["bucket_s"]),
            pods={str(k): [int(n) for n in v] for k, v in data["pods"].items()},
            errors=[int(n) for n in data["errors"]],
            marks=[(float(t), str(label)) for t, label in data["marks"]],
        )


def build(result: LoadResult, buckets: int = BUCKETS) -> Timeline:
    end = max([result.wall_s, *(h.t for h in result.hits), *(m.t for m in result.marks)], default=0.0)
    bucket_s = max(end / buckets, MIN_BUCKET_S)
    buckets = max(1, math.ceil(end / bucket_s - 1e-9))
    pods: dict[str, list[int]] = {}
    errors = [0] * buckets
    for hit in result.hits:
        i = min(int(hit.t / bucket_s), buckets - 1)
        if hit.ok and hit.pod is not None:
            pods.setdefault(hit.pod, [0] * buckets)[i] += 1
        else:
            errors[i] += 1
    return Timeline(
        bucket_s=bucket_s,
        pods=dict(sorted(pods.items())),
        errors=errors,
        marks=[(m.t, m.label) for m in result.marks],
    )


# -- SVG -------------------------------------------------------------------------------------------


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks if span > 0 else 1.0
    power: float = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


@dataclass(frozen=True)
class _Frame:
    """Where things go in the SVG: the plot of requests/s per pod, the error band under it, the axis, the marks."""

    tl: Timeline
    width: int = 760
    left: int = 56
    right: int = 150
    top: int = 34
    plot_h: int = 180
    err_h: int = 36
    gap: int = 14

    @property
    def height(self) -> int:
        return self.top + self.plot_h + self.gap + self.err_h + 30 + 16 * max(1, len(self.tl.marks))

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def per_s(self) -> float:
        return 1.0 / self.tl.bucket_s

    @property
    def peak(self) -> float:
        return max([max(v) for v in self.tl.pods.values()] + [1]) * self.per_s

    @property
    def band(self) -> int:
        """Top of the error band."""
        return self.top + self.plot_h + self.gap

    @property
    def axis_y(self) -> int:
        return self.band + self.err_h

    def x(self, t: float) -> float:
        return self.left + self.plot_w * t / self.tl.seconds

    def y(self, rate: float) -> float:
        return self.top + self.plot_h - self.plot_h * rate / self.peak


def to_svg(tl: Timeline, title: str = "") -> str:
    f = _Frame(tl)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{f.width}" height="{f.height}" '
        f'viewBox="0 0 {f.width} {f.height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{f.width}" height="{f.height}" fill="#ffffff"/>',
        f'<text x="{f.left}" y="18" font-size="13" font-weight="bold">{escape(title or "requests per pod")}</text>',
        *_svg_rate_grid(f),
        *_svg_pods(f),
        *_svg_errors(f),
        *_svg_time_axis(f),
        *_svg_marks(f),
        "</svg>",
    ]
    return "\n".join(out) + "\n"


def _svg_rate_grid(f: _Frame) -> list[str]:
    """Horizontal lines at round requests/s, labelled on the left."""
    out = []
    step = _nice_step(f.peak, 4)
    level = 0.0
    while level <= f.peak + 1e-9:
        y = f.y(level)
        out.append(f'<line x1="{f.left}" x2="{f.left + f.plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{level:g}</text>')
        level += step
    middle = f.top + f.plot_h / 2
    out.append(
        f'<text x="12" y="{middle:.0f}" transform="rotate(-90 12 {middle:.0f})" text-anchor="middle">requests/s</text>'
    )
    return out


def _svg_pods(f: _Frame) -> list[str]:
    """One line per pod, and the legend (each pod's and the errors' totals)."""
    out = []
    lx = f.left + f.plot_w
    for i, (pod, counts) in enumerate(f.tl.pods.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{f.x((b + 0.5) * f.tl.bucket_s):.1f},{f.y(n * f.per_s):.1f}" for b, n in enumerate(counts))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        ly = f.top + 14 + 16 * i
        out.append(f'<rect x="{lx + 12}" y="{ly - 9}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 30}" y="{ly}">{escape(pod)} ({sum(counts)})</text>')
    ly = f.top + 14 + 16 * len(f.tl.pods)
    out.append(f'<rect x="{lx + 12}" y="{ly - 9}" width="12" height="10" fill="{ERROR_COLOUR}"/>')
    out.append(f'<text x="{lx + 30}" y="{ly}">errors ({sum(f.tl.errors)})</text>')
    return out


def _svg_errors(f: _Frame) -> list[str]:
    """Errors: red bars in their own band under the plot."""
    band, err_h, left = f.band, f.err_h, f.left
    out = [
        f'<text x="{left - 6}" y="{band + err_h / 2 + 4:.0f}" text-anchor="end" fill="{ERROR_COLOUR}">errors</text>',
        f'<rect x="{left}" y="{band}" width="{f.plot_w}" height="{err_h}" fill="none" stroke="#e5e5e5"/>',
    ]
    err_peak = max([*f.tl.errors, 1]) * f.per_s
    bar_w = f.plot_w / f.tl.buckets
    for b, n in enumerate(f.tl.errors):
        if n:
            h = max(2.0, err_h * n * f.per_s / err_peak)
            out.append(
                f'<rect x="{left + b * bar_w:.1f}" y="{band + err_h - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{ERROR_COLOUR}"/>'
            )
    return out


def _svg_time_axis(f: _Frame) -> list[str]:
    axis_y = f.axis_y
    out = [f'<line x1="{f.left}" x2="{f.left + f.plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#333"/>']
    tstep = _nice_step(f.tl.seconds)
    t = 0.0
    while t <= f.tl.seconds + 1e-9:
        out.append(f'<line x1="{f.x(t):.1f}" x2="{f.x(t):.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#333"/>')
        out.append(f'<text x="{f.x(t):.1f}" y="{axis_y + 16}" text-anchor="middle">{t:g} s</text>')
        t += tstep
    return out


def _svg_marks(f: _Frame) -> list[str]:
    """The action's moments: numbered dashed lines, explained under the axis."""
    out = []
    for n, (when, label) in enumerate(f.tl.marks, start=1):
        mx = f.x(when)
        out.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{f.top}" y2="{f.axis_y}" stroke="#555" stroke-dasharray="4 3"/>'
        )
        out.append(f'<text x="{mx + 2:.1f}" y="{f.top - 2 + 10 * (n % 2)}" font-size="10">{n}</text>')
        out.append(f'<text x="{f.left}" y="{f.axis_y + 32 + 16 * (n - 1)}">{n}. {when:.2f} s  {escape(label)}</text>')
    return out


# -- Mermaid ---------------------------------------------------------------------------------------


def to_mermaid(tl: Timeline, title: str = "", columns: int = 30) -> str:
    """An ``xychart-beta`` of requests/s per pod, errors as red bars, marks as ``▲n`` on the axis."""
    merged = _merge(tl, columns)
    per_s = 1.0 / merged.bucket_s
    labels = []
    for b in range(merged.buckets):
        here = [n for n, (t, _) in enumerate(merged.marks, start=1) if int(t / merged.bucket_s) == b]
        text = f"{b * merged.bucket_s:.{2 if merged.bucket_s < 0.1 else 1}f}"
        labels.append(text + ("▲" + ",".join(map(str, here)) if here else ""))
    heading = f"{title or 'requests/s per pod'} ({', '.join(merged.pods)}; red: errors)"
    colours = [ERROR_COLOUR] + [PALETTE[i % len(PALETTE)] for i in range(len(merged.pods))]
    lines = [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + ", ".join(colours) + '"}}}}%%',
        "xychart-beta",
        f'    title "{_quote(heading)}"',
        "    x-axis [" + ", ".join(f'"{label}"' for label in labels) + "]",
        '    y-axis "requests/s"',
        "    bar [" + ", ".join(f"{n * per_s:.0f}" for n in merged.errors) + "]",
    ]
    lines += ["    line [" + ", ".join(f"{n * per_s:.0f}" for n in counts) + "]" for counts in merged.pods.values()]
    lines.append("```")
    lines += [f"{n}. ▲{n} {t:.2f} s: {label}" for n, (t, label) in enumerate(merged.marks, start=1)]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return text.replace('"', "'")


def _merge(tl: Timeline, columns: int) -> Timeline:
    """The same timeline with at most ``columns`` buckets."""
    factor = max(1, math.ceil(tl.buckets / columns))
    if factor == 1:
        return tl

    def merge(values: list[int]) -> list[int]:
        return [sum(values[i : i + factor]) for i in range(0, len(values), factor)]

    return Timeline(
        bucket_s=tl.bucket_s * factor,
        pods={pod: merge(v) for pod, v in tl.pods.items()},
        errors=merge(tl.errors),
        marks=tl.marks,
    )


# -- terminal --------------------------------------------------------------------------------------


def to_rows(tl: Timeline, indent: str = "    ", columns: int = 60) -> list[str]:
    """One row per pod (``▁..█``: its share of the busiest bucket), a row of errors (``x``),
    and a row with the action's numbered moments."""
    merged = _merge(tl, columns)
    peak = max([max(v) for v in merged.pods.values()] + [1])
    width = max([len(p) for p in merged.pods] + [len("errors")])
    lines = []
    for pod, counts in merged.pods.items():
        cells = "".join(LEVELS[math.ceil((len(LEVELS) - 1) * n / peak)] if n else " " for n in counts)
        lines.append(f"{indent}{pod.ljust(width)} |{cells}| {sum(counts)}")
    errors = "".join("x" if n else " " for n in merged.errors)
    lines.append(f"{indent}{'errors'.ljust(width)} |{errors}| {sum(merged.errors)}")
    if merged.marks:
        row = [" "] * merged.buckets
        for n, (t, _) in enumerate(merged.marks, start=1):
            i = min(int(t / merged.bucket_s), merged.buckets - 1)
            row[i] = str(n % 10) if row[i] == " " else "*"
        lines.append(f"{indent}{''.ljust(width)} |{''.join(row)}| {merged.seconds:.1f} s")
        lines += [f"{indent}  {n}: {t:.2f} s {label}" for n, (t, label) in enumerate(merged.marks, start=1)]
    return lines
