"""An HTTPRoute as the tests describe it: rules, weighted backends, sessionPersistence (GEP-1619).

One model, rendered three ways: as a Gateway API ``HTTPRoute`` object (``httproute.py``), as
Envoy configuration the way Envoy Gateway translates it (``local/envoy_config.py``), and as
Envoy ring-hash configuration the way Istio translates ``consistentHash.httpCookie``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

SessionType = Literal["Cookie", "Header"]
LifetimeType = Literal["Session", "Permanent"]

DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
"""Gateway API ``Duration`` (GEP-2257), as the v1.6.1 CRD's pattern for absoluteTimeout."""
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def duration_seconds(duration: str) -> float:
    """``1h30m`` -> 5400.0 (a Gateway API Duration)."""
    if not DURATION.match(duration):
        raise ValueError(f"{duration!r} is not a Gateway API duration (e.g. 1h, 90s, 1h30m)")
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in re.findall(r"([0-9]+)(h|ms|m|s)", duration))


@dataclass(frozen=True)
class SessionPersistence:
    """HTTPRoute rule ``sessionPersistence`` (Gateway API v1.6 fields)."""

    type: SessionType = "Cookie"
    session_name: str | None = None
    absolute_timeout: str | None = None
    lifetime_type: LifetimeType = "Session"

    def __post_init__(self) -> None:
        if self.absolute_timeout is not None:
            duration_seconds(self.absolute_timeout)
        if self.lifetime_type == "Permanent" and self.absolute_timeout is None:
            raise ValueError("a Permanent cookie lifetime needs absolute_timeout (the CRD's CEL rule says so)")


@dataclass(frozen=True)
class Backend:
    """A backendRef: the app (StatefulSet + Service of that name) and its weight."""

    app: str
    weight: int = 1
    replicas: int = 2


@dataclass(frozen=True)
class RouteRule:
    path: str
    """A ``PathPrefix`` match."""
    backends: tuple[Backend, ...]
    session_persistence: SessionPersistence | None = field(default_factory=SessionPersistence)


@dataclass(frozen=True)
class Route:
    name: str
    rules: tuple[RouteRule, ...]

    @property
    def backends(self) -> list[Backend]:
        seen: dict[str, Backend] = {}
        for rule in self.rules:
            for backend in rule.backends:
                seen.setdefault(backend.app, backend)
        return list(seen.values())


def default_session_name(namespace: str, route: str, rule_index: int) -> str:
    """The name Envoy Gateway gives a rule's session when ``sessionName`` is unset.

    [envoyproxy/gateway v1.9.0 internal/gatewayapi/route.go:1168 replaces "/" by "-" in
    irRouteDestinationName, helpers.go:561 ``<prefix>rule/<idx>`` with helpers.go:546 prefix
    ``httproute/<namespace>/<name>/``]
    """
    return f"httproute-{namespace}-{route}-rule-{rule_index}"


def single_rule(app: str, replicas: int, persistence: SessionPersistence | None = None) -> Route:
    """The route the ordinary suite uses: ``/`` to one app, cookie persistence by default."""
    return Route(
        name=app,
        rules=(
            RouteRule(
                path="/",
                backends=(Backend(app, replicas=replicas),),
                session_persistence=persistence or SessionPersistence(),
            ),
        ),
    )
