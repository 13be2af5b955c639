"""What a test showed, in a form that survives xdist: requests, pods, cookies, failover timings.

The fixtures record request traces on the test item; at report time they are condensed into a
``TestEvidence``, carried as its JSON form (``jsonable``) in ``report.user_properties`` under
``sticky``, which pytest-xdist sends from the workers to the controller. The terminal summary and
the report files read it back there (``from_report``) and show it through the formatters below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_sticky.client import RequestRecord
from pytest_sticky.cookies import parse_set_cookie
from pytest_sticky.trace import distribution

if TYPE_CHECKING:
    from pytest_sticky.failover import KilledPod
    from pytest_sticky.load.evidence import LoadEvidence

PROPERTY = "sticky"
OMIT_EMPTY = {"omit_empty": True}
"""Field metadata: ``jsonable`` leaves the field out while it is empty."""


def jsonable(value: Any) -> Any:
    """``value`` as JSON types: a ``to_json()`` method first, then dataclasses as dicts in field
    order (an ``OMIT_EMPTY`` field left out when empty), dicts, lists and tuples, recursively."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("omit_empty") and not getattr(value, f.name))
        }
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


@dataclass(frozen=True)
class TraceEvidence:
    """One recorded trace (``sticky``, ``negative control``, ``spread``, ``failover``): its counts."""

    label: str
    requests: int
    distribution: dict[str, int]
    failed: int

    @classmethod
    def of(cls, label: str, records: list[RequestRecord]) -> TraceEvidence:
        return cls(label, len(records), distribution(records), sum(1 for r in records if not r.ok))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TraceEvidence:
        return cls(data["label"], data["requests"], dict(data["distribution"]), data["failed"])

    def headline(self) -> str:
        return f"{self.label}: {self.requests} requests, {self.failed} failed"


@dataclass(frozen=True)
class FailoverEvidence:
    """One ``kill_serving_pod``: the pod, how soon the app answered again and by whom, the cookie."""

    pod: str
    recovered_after_s: float
    replaced_after_s: float
    answered_by: str
    cookie_changed: bool

    @classmethod
    def of(cls, killed: KilledPod) -> FailoverEvidence:
        return cls(
            pod=killed.name,
            recovered_after_s=round(killed.recovered_after, 4),
            replaced_after_s=round(killed.replaced_after, 4),
            answered_by=killed.answered_by,
            cookie_changed=killed.cookie_before != killed.cookie_after,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FailoverEvidence:
        return cls(**data)

    def text(self) -> str:
        """The failover in a sentence (the terminal summary)."""
        return (
            f"{self.pod} killed, answered again after {_ms(self.recovered_after_s)} by {self.answered_by}, "
            f"replaced after {_ms(self.replaced_after_s)}"
        )

    def cell(self) -> str:
        """The failover in a table cell (the Markdown report)."""
        return f"{self.pod}: answered after {_ms(self.recovered_after_s)}, replaced after {_ms(self.replaced_after_s)}"


@dataclass
class TestEvidence:
    """One test's evidence: its requests in all (traces and load runs), where they went, the
    affinity cookies the proxy set, the failovers, how the app was reached, the load runs."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    requests: int
    distribution: dict[str, int]
    traces: list[TraceEvidence]
    cookies: dict[str, str]
    """The last ``Set-Cookie`` seen per affinity cookie name."""
    failovers: list[FailoverEvidence]
    reached_via: list[str]
    loads: list[LoadEvidence] = field(default_factory=list, metadata=OMIT_EMPTY)

    @classmethod
    def collect(
        cls,
        traces: Iterable[tuple[str, list[RequestRecord]]],
        failovers: Iterable[FailoverEvidence],
        cookie_names: Iterable[str],
        reached_via: Iterable[str],
        loads: Iterable[LoadEvidence] = (),
    ) -> TestEvidence:
        traces = list(traces)
        loads = list(loads)
        total: dict[str, int] = {}
        for counts in [distribution(records) for _, records in traces] + [load.pods for load in loads]:
            for pod, n in counts.items():
                total[pod] = total.get(pod, 0) + n
        return cls(
            requests=sum(len(records) for _, records in traces) + sum(load.requests for load in loads),
            distribution=dict(sorted(total.items())),
            traces=[TraceEvidence.of(label, records) for label, records in traces],
            cookies=_affinity_cookies(traces, set(cookie_names)),
            failovers=list(failovers),
            reached_via=sorted(set(reached_via)),
            loads=loads,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestEvidence:
        from pytest_sticky.load.evidence import LoadEvidence

        return cls(
            requests=data["requests"],
            distribution=dict(data["distribution"]),
            traces=[TraceEvidence.from_json(t) for t in data["traces"]],
            cookies=dict(data["cookies"]),
            failovers=[FailoverEvidence.from_json(f) for f in data["failovers"]],
            reached_via=list(data.get("reached_via", [])),
            loads=[LoadEvidence.from_json(load) for load in data.get("loads", [])],
        )


def _affinity_cookies(traces: list[tuple[str, list[RequestRecord]]], names: set[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for _, records in traces:
        for record in records:
            for header in record.set_cookie:
                cookie = parse_set_cookie(header)
                if cookie.name in names:
                    seen[cookie.name] = header
    return seen


@dataclass
class TestResult:
    """A test's evidence and its outcome, as the controller saw its report."""

    __test__: ClassVar[bool] = False

    evidence: TestEvidence
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {**jsonable(self.evidence), "outcome": self.outcome}


@dataclass(frozen=True)
class NotRunEntry:
    """A test that could not run: a missing capability or another cluster type, and why."""

    kind: str
    reason: str
    outcome: str


def to_report(evidence: TestEvidence) -> tuple[str, dict[str, Any]]:
    """The ``user_properties`` entry that carries ``evidence`` (JSON types, for xdist)."""
    return PROPERTY, jsonable(evidence)


def from_report(user_properties: Iterable[tuple[str, object]]) -> TestEvidence | None:
    for key, value in user_properties:
        if key == PROPERTY and isinstance(value, dict):
            return TestEvidence.from_json(value)
    return None
