"""The end-of-run picture: where every test's requests went, as bars, and failover timings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_sticky.evidence import NotRunEntry, TestResult

BAR_WIDTH = 30


def bars(distribution: dict[str, int], width: int = BAR_WIDTH, indent: str = "    ") -> list[str]:
    if not distribution:
        return []
    most = max(distribution.values())
    label_width = max(len(p) for p in distribution)
    total = sum(distribution.values())
    return [
        f"{indent}{pod.ljust(label_width)} {'█' * max(1, round(width * n / most)):<{width}} "
        f"{n:>4} ({100 * n / total:.0f}%)"
        for pod, n in distribution.items()
    ]


def render(header: str, results: dict[str, TestResult], *, verbose: int) -> list[str]:
    """Lines of the summary; ``verbose`` < 0 gives one line, > 0 the per-trace detail."""
    tests = {nodeid: result for nodeid, result in results.items() if result.evidence.requests}
    total = sum(result.evidence.requests for result in tests.values())
    failovers = [f for result in tests.values() for f in result.evidence.failovers]
    line = f"{total} requests in {len(tests)} tests"
    if failovers:
        recovered = sorted(f.recovered_after_s for f in failovers)
        line += f"; {len(failovers)} failovers, recovered after {recovered[len(recovered) // 2] * 1000:.0f} ms (median)"
    if verbose < 0:
        return [f"pytest-sticky: {line}"]
    lines = [header, line]
    for nodeid, result in tests.items():
        lines += ["", *block_of(nodeid, result, verbose=verbose)]
    return lines


def block_of(nodeid: str, result: TestResult, *, verbose: int) -> list[str]:
    """One test's lines: its outcome, how the app was reached, cookies, failovers, loads, bars."""
    ev = result.evidence
    lines = [f"{nodeid}  [{result.outcome}]  {ev.requests} requests"]
    lines += [f"    reached via {via}" for via in ev.reached_via]
    lines += [f"    affinity cookie {name}: {header_value}" for name, header_value in ev.cookies.items()]
    lines += [f"    failover: {f.text()}" for f in ev.failovers]
    for load in ev.loads:
        lines += load.summary_lines()
    if verbose > 0:
        for trace in ev.traces:
            lines += [f"  {trace.headline()}", *bars(trace.distribution, indent="    ")]
    else:
        lines += bars(ev.distribution)
    return lines


def not_run_counts(not_run: dict[str, NotRunEntry]) -> dict[str, int]:
    """How many tests did not run, per kind (``missing capability``, ``another cluster type``)."""
    counts: dict[str, int] = {}
    for entry in not_run.values():
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return counts


def render_not_run(not_run: dict[str, NotRunEntry], *, strict: bool, verbose: int) -> list[str]:
    """The tests that could not run: counted always, listed with their reasons unless ``-q``."""
    from pytest_sticky.capabilities import MISSING, OTHER_CLUSTER

    if not not_run:
        return []
    counts = not_run_counts(not_run)
    missing = counts.get(MISSING, 0)
    other = counts.get(OTHER_CLUSTER, 0)
    parts = []
    if missing:
        verdict = "failed (--sticky-strict)" if strict else "skipped; --sticky-strict fails them"
        parts.append(f"{missing} not run for a missing capability ({verdict})")
    if other:
        parts.append(f"{other} for another cluster type (skipped)")
    line = "; ".join(parts)
    if verbose < 0:
        return [f"pytest-sticky: {line}"]
    lines = ["", line]
    for kind in (MISSING, OTHER_CLUSTER):
        for nodeid, entry in not_run.items():
            if entry.kind == kind:
                lines.append(f"  {kind}: {nodeid}: {entry.reason}")
    return lines
