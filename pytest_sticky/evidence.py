"""What a test showed, in a form that survives xdist: requests, pods, cookies, failover timings.

The fixtures record request traces on the test item; at report time they are condensed into a
JSON-able dict carried in ``report.user_properties`` under ``sticky``, which pytest-xdist sends
from the workers to the controller. The terminal summary and the report files read them there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_sticky.client import RequestRecord
from pytest_sticky.cookies import parse_set_cookie
from pytest_sticky.trace import distribution

PROPERTY = "sticky"


def condense(
    traces: Iterable[tuple[str, list[RequestRecord]]],
    failovers: Iterable[dict[str, Any]],
    cookie_names: Iterable[str],
) -> dict[str, Any]:
    """One test's evidence: per trace label the request count and distribution."""
    traces = list(traces)
    names = set(cookie_names)
    seen_cookies: dict[str, str] = {}
    for _, records in traces:
        for record in records:
            for header in record.set_cookie:
                cookie = parse_set_cookie(header)
                if cookie.name in names:
                    seen_cookies[cookie.name] = header
    total: dict[str, int] = {}
    for _, records in traces:
        for pod, n in distribution(records).items():
            total[pod] = total.get(pod, 0) + n
    return {
        "requests": sum(len(records) for _, records in traces),
        "distribution": dict(sorted(total.items())),
        "traces": [
            {
                "label": label,
                "requests": len(records),
                "distribution": distribution(records),
                "failed": sum(1 for r in records if not r.ok),
            }
            for label, records in traces
        ],
        "cookies": seen_cookies,
        "failovers": list(failovers),
    }


def from_report(user_properties: Iterable[tuple[str, object]]) -> dict[str, Any] | None:
    for key, value in user_properties:
        if key == PROPERTY and isinstance(value, dict):
            return value
    return None
