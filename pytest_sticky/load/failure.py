"""A load run that lost more than its budget: the message shows the timeline and, per browser
that lost anything, every request it sent."""

from __future__ import annotations

from pytest_sticky.load.result import BrowserSummary, Hit, LoadResult
from pytest_sticky.load.timeline import build, to_rows

MAX_BROWSERS_SHOWN = 8
MAX_HITS_SHOWN = 80


class LoadBudgetError(AssertionError):
    """A load run failed its budget (or its action failed); ``result`` holds every request."""

    def __init__(self, headline: str, result: LoadResult) -> None:
        super().__init__(headline + "\n" + describe(result))
        self.result = result


def check_budget(result: LoadResult, *, max_failed: int | None, max_sessions_lost: int | None) -> None:
    __tracebackhide__ = True
    problems = []
    if max_failed is not None and result.failed > max_failed:
        problems.append(f"{result.failed} requests failed (budget {max_failed})")
    if max_sessions_lost is not None and result.sessions_lost > max_sessions_lost:
        problems.append(f"{result.sessions_lost} browsers lost their session (budget {max_sessions_lost})")
    if problems:
        raise LoadBudgetError(f"sticky_load during {result.action}: " + "; ".join(problems), result)


def table_row(result: LoadResult) -> str:
    return (
        f"{result.browsers_n} browsers, {result.requests} requests ({result.rps:.0f}/s), {result.failed} failed, "
        f"{result.repinned} re-pinned, {result.sessions_lost} lost their session"
    )


def describe(result: LoadResult) -> str:
    lines = [table_row(result), "", "timeline:"]
    lines += to_rows(build(result))
    troubled = [b for b in result.browsers if b.errors or b.sessions_lost or b.repins]
    if troubled:
        lines += ["", "browsers with errors, re-pins or lost sessions:"]
        lines += [_browser_line(b) for b in troubled]
        per: dict[int, list[Hit]] = {}
        for hit in result.hits:
            per.setdefault(hit.browser, []).append(hit)
        for b in troubled[:MAX_BROWSERS_SHOWN]:
            lines += ["", f"browser {b.browser}:", *format_hits(per.get(b.browser, []))]
        if len(troubled) > MAX_BROWSERS_SHOWN:
            lines.append(f"... and {len(troubled) - MAX_BROWSERS_SHOWN} more browsers")
    return "\n".join(lines)


def _browser_line(b: BrowserSummary) -> str:
    return (
        f"  browser {b.browser}: {b.requests} requests, {b.errors} errors, pods {' -> '.join(b.pods) or '-'}, "
        f"{b.repins} re-pins, {b.sessions_lost} sessions lost"
    )


def format_hits(hits: list[Hit]) -> list[str]:
    """``t  status  pod  affinity  session:count  ms  error`` for each request (elided in the
    middle of long runs where nothing changed)."""
    rows = [("t s", "status", "pod", "affinity", "session:count", "ms", "")]
    shown = _interesting(hits)
    last = -1
    for i in shown:
        if last >= 0 and i != last + 1:
            rows.append(("...", "", "", "", "", "", f"{i - last - 1} requests like the ones around"))
        h = hits[i]
        rows.append(
            (
                f"{h.t:.3f}",
                str(h.status) if h.status is not None else "ERR",
                h.pod or "-",
                (h.affinity or "-")[:12],
                f"{h.session or '-'}:{h.count if h.count is not None else '-'}",
                f"{h.elapsed * 1000:.1f}",
                h.error[:80],
            )
        )
        last = i
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(r)).rstrip() for r in rows]


def _interesting(hits: list[Hit]) -> list[int]:
    """Indexes of the requests worth showing: changes and errors with one neighbour each side."""
    if len(hits) <= MAX_HITS_SHOWN:
        return list(range(len(hits)))
    keep = {0, len(hits) - 1}
    for i in range(1, len(hits)):
        a, b = hits[i - 1], hits[i]
        if not b.ok or a.pod != b.pod or a.affinity != b.affinity or a.session != b.session:
            keep.update({i - 1, i, min(i + 1, len(hits) - 1)})
    return sorted(keep)[:MAX_HITS_SHOWN]
