"""``assert_sticky`` and ``assert_spread``: stickiness proven, with a negative control.

A sticky assertion that passes with one replica proves nothing, so ``assert_sticky`` also
checks that requests *without* a cookie reach at least two pods. Cookie-less requests model
distinct users: each goes over a new connection. Every failure lists each
request (status, serving pod, cookies sent and received, time).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING

from pytest_sticky.client import DEFAULT_POD_FROM, RequestRecord, StickyClient
from pytest_sticky.trace import distribution, format_distribution, format_trace

if TYPE_CHECKING:
    from pytest_sticky.app import ServedPods

CONTROL_FALSE_NEGATIVE = 1e-6
"""Accepted chance that a well-spread proxy looks unspread by bad luck (sets request counts)."""


class StickinessError(AssertionError):
    """A sticky-session assertion failed; ``records`` holds every request that led to it."""

    def __init__(self, message: str, records: Sequence[RequestRecord]) -> None:
        super().__init__(message)
        self.records = list(records)


def requests_to_reach_all(pods: int, miss_chance: float = CONTROL_FALSE_NEGATIVE) -> int:
    """How many uniformly spread requests reach every one of ``pods`` but with ``miss_chance``."""
    if pods <= 1:
        return 10
    return math.ceil(math.log(miss_chance / pods) / math.log(1 - 1 / pods))


def check_pinned(records: Sequence[RequestRecord], *, url: str, what: str = "requests with one cookie jar") -> str:
    """The one pod that answered all ``records``; StickinessError otherwise."""
    failed = [r for r in records if not r.ok]
    pods = {r.pod for r in records if r.pod}
    if failed:
        first = failed[0]
        why = first.error or f"status {first.status}" + ("" if first.pod else " without a pod name")
        raise StickinessError(
            f"{len(failed)} of {len(records)} {what} to {url} failed (first: request {first.n}, {why}).\n"
            + format_trace(records),
            records,
        )
    if len(pods) != 1:
        raise StickinessError(
            f"{len(records)} {what} to {url} reached {len(pods)} pods "
            f"({format_distribution(distribution(records))}); sticky sessions pin them to one.\n"
            + format_trace(records),
            records,
        )
    return pods.pop()


def assert_sticky(
    cookie_jar: CookieJar,
    *,
    url: str,
    requests: int = 20,
    pod_from: str = DEFAULT_POD_FROM,
    negative_control: bool = True,
    control_requests: int | None = None,
    explain: Callable[[], str] | None = None,
    on_records: Callable[[str, list[RequestRecord]], None] | None = None,
    headers: Mapping[str, str] | None = None,
    served: ServedPods | None = None,
) -> str:
    """Send ``requests`` requests with ``cookie_jar``; assert one pod served them all; return it.

    The first request fills an empty jar. The negative control then sends up to
    ``control_requests`` requests without cookies and fails unless they reach two pods or more.
    ``served``: the app's record of the pod that served its last request (``app.served``), for a
    later ``kill_serving_pod(app=app)`` without a jar.
    """
    if requests < 2:
        raise ValueError("assert_sticky needs at least 2 requests to show anything")
    with StickyClient(url, cookie_jar, pod_from=pod_from, explain=explain, headers=headers, served=served) as client:
        client.get_many(requests)
    if on_records is not None:
        on_records("sticky", client.records)
    pod = check_pinned(client.records, url=url)
    if negative_control:
        limit = control_requests or requests_to_reach_all(2)
        _negative_control(url, pod_from, limit, explain, on_records, headers, served)
    return pod


def _negative_control(
    url: str,
    pod_from: str,
    limit: int,
    explain: Callable[[], str] | None,
    on_records: Callable[[str, list[RequestRecord]], None] | None,
    headers: Mapping[str, str] | None,
    served: ServedPods | None,
) -> None:
    seen: set[str] = set()
    # Distinct users: each request on a new connection. A proxy may derive a generated cookie from the
    # client's address and port (Envoy ring_hash with a cookie ttl): over one kept-alive connection every
    # cookie-less request would hash alike and look pinned by source IP.
    with StickyClient(
        url, None, pod_from=pod_from, explain=explain, headers=headers, new_connection_each=True, served=served
    ) as client:
        for _ in range(limit):
            record = client.get()
            if record.ok and record.pod is not None:
                seen.add(record.pod)
            if len(seen) >= 2:
                break
    if on_records is not None:
        on_records("negative control", client.records)
    if len(seen) < 2:
        raise StickinessError(
            f"negative control failed: {len(client.records)} requests WITHOUT a cookie to {url} all reached "
            f"{format_distribution(distribution(client.records))}. Stickiness cannot be shown: the app has one "
            "ready replica, or something pins clients by source IP (Service sessionAffinity: ClientIP?).\n"
            + format_trace(client.records),
            client.records,
        )


def assert_spread(
    *,
    url: str,
    pods: Sequence[str],
    requests: int | None = None,
    pod_from: str = DEFAULT_POD_FROM,
    explain: Callable[[], str] | None = None,
    on_records: Callable[[str, list[RequestRecord]], None] | None = None,
    headers: Mapping[str, str] | None = None,
    served: ServedPods | None = None,
) -> dict[str, int]:
    """Without cookies, ``requests`` requests must reach every pod in ``pods``; return the counts.

    The default request count makes a miss by bad luck less likely than one in a million for
    a proxy that spreads uniformly. ``served``: as for ``assert_sticky``.
    """
    count = requests or requests_to_reach_all(len(pods))
    with StickyClient(
        url, None, pod_from=pod_from, explain=explain, headers=headers, new_connection_each=True, served=served
    ) as client:
        client.get_many(count)
    if on_records is not None:
        on_records("spread", client.records)
    counts = distribution(client.records)
    failed = [r for r in client.records if not r.ok]
    missing = sorted(set(pods) - set(counts))
    if failed or missing:
        problem = f"{len(failed)} failed" if failed else f"never reached {', '.join(missing)}"
        raise StickinessError(
            f"{count} requests without a cookie to {url} should reach every ready pod "
            f"({', '.join(sorted(pods))}); {problem}. Distribution: {format_distribution(counts)}.\n"
            + format_trace(client.records),
            client.records,
        )
    return counts
