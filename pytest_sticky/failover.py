"""``kill_serving_pod``: delete the pod that serves a client, and measure the failover.

Identity: the pod is named by what the app reports (``X-Pod-Name`` / ``pod``). A StatefulSet
replacement keeps the name but is a new incarnation (new uid, new address), which every
cookie implementation treats as a new backend; ``KilledPod`` reports both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

from pytest_sticky.app import StickyApp
from pytest_sticky.client import DEFAULT_POD_FROM, RequestRecord, StickyClient, client_for
from pytest_sticky.errors import StickyError
from pytest_sticky.trace import format_trace

DEFAULT_GRACE_PERIOD_S = 1.0
DEFAULT_TIMEOUT_S = 120.0
RETRY_PACING_S = 0.01
"""Gap after a failed attempt: the resolution of ``recovered_after``, and a bound on the
number of requests a slow failover sends."""


@dataclass
class KilledPod:
    name: str
    """The pod's name (the replacement has the same one)."""
    old_uid: str
    new_uid: str
    recovered_after: float
    """Seconds from the deletion to the first successful answer the client saw."""
    replaced_after: float
    """Seconds from the deletion until the replacement was ready and routed to."""
    answered_by: str
    """The pod that gave the first successful answer after the deletion."""
    cookie_before: str | None
    """The affinity cookie's value in the jar before the deletion (None without a jar)."""
    cookie_after: str | None
    """... and once the client had recovered."""
    records: list[RequestRecord] = field(default_factory=list)
    """Every request sent while measuring, the failed ones included."""


class FailoverError(StickyError, AssertionError):
    def __init__(self, message: str, records: list[RequestRecord]) -> None:
        super().__init__(message)
        self.records = records


def _cookie_value(jar: CookieJar | None, name: str | None) -> str | None:
    if jar is None or name is None:
        return None
    for cookie in jar:
        if cookie.name == name:
            return cookie.value
    return None


def _from_a_live_pod(app: StickyApp, pod: str, victim: str, old_uid: str) -> bool:
    """An answer counts as recovery unless the deleted incarnation gave it.

    A terminating pod may still answer on a kept-alive connection during its grace period;
    an answer signed with the victim's name counts only once its replacement is ready.
    """
    if pod != victim:
        return True
    try:
        return victim in app.pods() and app.pod_uid(victim) != old_uid
    except StickyError:
        return False


def _victim(client: StickyClient, cookie_jar: CookieJar | None, app: StickyApp) -> str:
    """The pod serving ``cookie_jar`` (asked now), or without a jar the one ``app.served`` recorded last."""
    if cookie_jar is not None:
        probe = client.get()
        if not probe.ok:
            raise FailoverError(
                "kill_serving_pod: the app did not answer before the kill.\n" + format_trace(client.records),
                client.records,
            )
        assert probe.pod is not None
        return probe.pod
    served = app.served.last
    if served is None:
        raise StickyError(
            f"kill_serving_pod() without a cookie jar kills the pod that served the last request to {app.name}, "
            "but none has been recorded in app.served: pass a cookie jar, or send the requests through the "
            "fixtures, client_for(app), or with served=app.served (assert_sticky, assert_spread, StickyClient)"
        )
    return served


def _first_live_answer(
    client: StickyClient, app: StickyApp, victim: str, old_uid: str, deadline: float
) -> RequestRecord | None:
    """The first successful answer not from the deleted incarnation, asked for until ``deadline``."""
    while time.monotonic() < deadline:
        record = client.get()
        if record.ok and record.pod is not None and _from_a_live_pod(app, record.pod, victim, old_uid):
            return record
        time.sleep(RETRY_PACING_S)
    return None


def kill_serving_pod(
    cookie_jar: CookieJar | None = None,
    *,
    app: StickyApp,
    grace_period: float = DEFAULT_GRACE_PERIOD_S,
    timeout: float = DEFAULT_TIMEOUT_S,
    pod_from: str = DEFAULT_POD_FROM,
    on_records: Callable[[str, list[RequestRecord]], None] | None = None,
) -> KilledPod:
    """Delete the pod serving ``cookie_jar`` (without a jar: the pod that served the last request
    recorded in ``app.served``), wait for its replacement, and measure from the client's side how
    long until the app answered again."""
    client = client_for(app, cookie_jar, pod_from=pod_from)
    with client:
        victim = _victim(client, cookie_jar, app)
        cookie_before = _cookie_value(cookie_jar, app.cookie_name)
        old_uid = app.pod_uid(victim)
        start = time.monotonic()
        app.delete_pod(victim, grace_period)
        deadline = start + timeout
        first_ok = _first_live_answer(client, app, victim, old_uid, deadline)
        recovered_after = time.monotonic() - start
    if first_ok is None:
        raise FailoverError(
            f"after deleting {victim}, the app did not answer successfully within {timeout:g} s.\n"
            + (app.explain_unreachable() + "\n" if app.explain_unreachable() else "")
            + format_trace(client.records),
            client.records,
        )
    new_uid = app.wait_replaced(victim, old_uid, max(deadline - time.monotonic(), 1.0))
    replaced_after = time.monotonic() - start
    killed = KilledPod(
        name=victim,
        old_uid=old_uid,
        new_uid=new_uid,
        recovered_after=recovered_after,
        replaced_after=replaced_after,
        answered_by=first_ok.pod or "",
        cookie_before=cookie_before,
        cookie_after=_cookie_value(cookie_jar, app.cookie_name),
        records=client.records,
    )
    if on_records is not None:
        on_records("failover", client.records)
    return killed
