"""Every request of a load run, and what it means per browser: errors, re-pins, sessions lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Hit:
    """One request of one browser."""

    t: float
    """Seconds since the load started, when the request was sent."""
    browser: int
    status: int | None
    """HTTP status, or None when no response came (``error`` says why)."""
    pod: str | None
    affinity: str | None
    """The affinity cookie's value in the browser's jar after the response (None: none yet)."""
    session: str | None
    count: int | None
    """The app's count of this session's requests (``GET /session``)."""
    elapsed: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.pod is not None


@dataclass(frozen=True, slots=True)
class Mark:
    """A moment of the action, e.g. ``hello-2 terminating``."""

    t: float
    label: str


@dataclass(frozen=True)
class BrowserSummary:
    browser: int
    requests: int
    errors: int
    pods: tuple[str, ...]
    """The pods that served it, in the order it was pinned to them (consecutive repeats merged)."""
    repins: int
    """How many times its serving pod or its affinity cookie changed."""
    sessions: tuple[str, ...]
    """Its app sessions in order; more than one means a session was lost."""
    count_gaps: int
    """Answers whose count did not follow the previous one of the same session."""
    first_pod_before_action: str | None

    @property
    def sessions_lost(self) -> int:
        return max(0, len(self.sessions) - 1)

    @property
    def continuous(self) -> bool:
        return self.sessions_lost == 0 and self.count_gaps == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "browser": self.browser,
            "requests": self.requests,
            "errors": self.errors,
            "pods": list(self.pods),
            "repins": self.repins,
            "sessions_lost": self.sessions_lost,
            "count_gaps": self.count_gaps,
            "pinned_before_action": self.first_pod_before_action,
        }


def summarise(browser: int, hits: list[Hit], action_start: float | None) -> BrowserSummary:
    pods: list[str] = []
    sessions: list[str] = []
    repins = 0
    gaps = 0
    last_ok: Hit | None = None
    before: str | None = None
    for hit in hits:
        if not hit.ok:
            continue
        assert hit.pod is not None
        if action_start is None or hit.t < action_start:
            before = hit.pod
        if not pods or pods[-1] != hit.pod:
            pods.append(hit.pod)
        if last_ok is not None:
            changed_cookie = last_ok.affinity is not None and hit.affinity != last_ok.affinity
            if hit.pod != last_ok.pod or changed_cookie:
                repins += 1
        if hit.session is not None:
            if not sessions or sessions[-1] != hit.session:
                sessions.append(hit.session)
            elif last_ok is not None and last_ok.count is not None and hit.count != last_ok.count + 1:
                gaps += 1
        last_ok = hit
    return BrowserSummary(
        browser=browser,
        requests=len(hits),
        errors=sum(1 for h in hits if not h.ok),
        pods=tuple(pods),
        repins=repins,
        sessions=tuple(sessions),
        count_gaps=gaps,
        first_pod_before_action=before,
    )


@dataclass
class LoadResult:
    """What a load run saw; ``browsers`` says per browser what happened to it."""

    action: str
    browsers_n: int
    rate: float | None
    hits: list[Hit]
    marks: list[Mark]
    action_start: float | None
    action_end: float | None
    wall_s: float
    action_error: str = ""
    browsers: list[BrowserSummary] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.browsers:
            per: dict[int, list[Hit]] = {b: [] for b in range(self.browsers_n)}
            for hit in self.hits:
                per[hit.browser].append(hit)
            self.browsers = [summarise(b, per[b], self.action_start) for b in range(self.browsers_n)]

    # -- totals -------------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        return len(self.hits)

    @property
    def failed(self) -> int:
        return sum(1 for h in self.hits if not h.ok)

    @property
    def repinned(self) -> int:
        """Browsers that changed pod (or affinity cookie) at least once."""
        return sum(1 for b in self.browsers if b.repins)

    @property
    def sessions_lost(self) -> int:
        """Browsers that lost their app session at least once."""
        return sum(1 for b in self.browsers if b.sessions_lost)

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    def pinned_before_action(self, pods: set[str] | list[str] | tuple[str, ...]) -> set[int]:
        """Browsers served by one of ``pods`` just before the action began."""
        wanted = set(pods)
        return {b.browser for b in self.browsers if b.first_pod_before_action in wanted}

    def lost_session(self) -> set[int]:
        return {b.browser for b in self.browsers if b.sessions_lost}

    def repinned_browsers(self) -> set[int]:
        return {b.browser for b in self.browsers if b.repins}

    def with_errors(self) -> set[int]:
        return {b.browser for b in self.browsers if b.errors}

    def pod_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(h.pod for h in self.hits if h.pod).items()))

    def summary_json(self) -> dict[str, Any]:
        """The compact, JSON-able form carried to the report (no per-request list)."""
        return {
            "action": self.action,
            "browsers": self.browsers_n,
            "rate": self.rate,
            "requests": self.requests,
            "failed": self.failed,
            "repinned": self.repinned,
            "sessions_lost": self.sessions_lost,
            "rps": round(self.rps, 1),
            "wall_s": round(self.wall_s, 3),
            "action_start": self.action_start,
            "action_end": self.action_end,
            "action_error": self.action_error,
            "marks": [{"t": round(m.t, 4), "label": m.label} for m in self.marks],
        }
