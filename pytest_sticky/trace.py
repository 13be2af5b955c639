"""The per-request table that failure messages and report sections show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pytest_sticky.client import RequestRecord

_WIDTH = 48


def _clip(text: str, width: int = _WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_trace(records: Iterable[RequestRecord], *, title: str = "") -> str:
    rows = [("n", "status", "pod", "cookie sent", "Set-Cookie received", "ms")]
    for r in records:
        status = str(r.status) if r.status is not None else "ERR"
        received = " | ".join(r.set_cookie) or "-"
        pod = r.pod or ("-" if not r.error else _clip(r.error, 60))
        rows.append((str(r.n), status, pod, _clip(r.cookie_sent or "-"), _clip(received), f"{r.elapsed_s * 1000:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [title] if title else []
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def distribution(records: Iterable[RequestRecord]) -> dict[str, int]:
    counts = Counter(r.pod or "(no answer)" for r in records)
    return dict(sorted(counts.items()))


def format_distribution(counts: dict[str, int]) -> str:
    return ", ".join(f"{pod}: {n}" for pod, n in counts.items()) or "no request"
