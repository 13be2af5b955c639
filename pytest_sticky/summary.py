"""The end-of-run picture: where every test's requests went, as bars, and failover timings."""

from __future__ import annotations

from typing import Any

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


def render(header: str, results: dict[str, dict[str, Any]], *, verbose: int) -> list[str]:
    """Lines of the summary; ``verbose`` < 0 gives one line, > 0 the per-trace detail."""
    tests = {nodeid: ev for nodeid, ev in results.items() if ev.get("requests")}
    total = sum(ev["requests"] for ev in tests.values())
    failovers = [f for ev in tests.values() for f in ev["failovers"]]
    line = f"{total} requests in {len(tests)} tests"
    if failovers:
        recovered = sorted(f["recovered_after_s"] for f in failovers)
        line += f"; {len(failovers)} failovers, recovered after {recovered[len(recovered) // 2] * 1000:.0f} ms (median)"
    if verbose < 0:
        return [f"pytest-sticky: {line}"]
    lines = [header, line]
    for nodeid, ev in tests.items():
        lines.append("")
        outcome = ev.get("outcome", "")
        lines.append(f"{nodeid}  [{outcome}]  {ev['requests']} requests")
        for via in ev.get("reached_via", []):
            lines.append(f"    reached via {via}")
        for name, header_value in ev["cookies"].items():
            lines.append(f"    affinity cookie {name}: {header_value}")
        for f in ev["failovers"]:
            lines.append(
                f"    failover: {f['pod']} killed, answered again after {f['recovered_after_s'] * 1000:.0f} ms "
                f"by {f['answered_by']}, replaced after {f['replaced_after_s'] * 1000:.0f} ms"
            )
        for load in ev.get("loads", []):
            from pytest_sticky.load.evidence import summary_lines

            lines.extend(summary_lines(load))
        if verbose > 0:
            for trace in ev["traces"]:
                lines.append(f"  {trace['label']}: {trace['requests']} requests, {trace['failed']} failed")
                lines.extend(bars(trace["distribution"], indent="    "))
        else:
            lines.extend(bars(ev["distribution"]))
    return lines
