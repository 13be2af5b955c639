"""What happens to the app while the browsers load it.

Each action works on any cluster type whose app offers the method it needs: the local
supervisor, and the Kubernetes/OpenShift StatefulSet (through the Kubernetes API). ``mark``
records the action's moments (``hello-2 terminating``, ``hello-2 ready``) on the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pytest_sticky.errors import StickyError
from pytest_sticky.load.spec import LoadInputError

Marker = Callable[[str], None]
MAX_REPLICAS = 50


@runtime_checkable
class RollingApp(Protocol):
    """An app whose pods can be restarted one by one, highest ordinal first (a StatefulSet)."""

    def rolling_restart(self, *, partition: int, grace_period: float, timeout: float, mark: Marker) -> list[str]:
        """Restart the pods with ordinal >= ``partition``; return their names in restart order."""


@runtime_checkable
class ScalableApp(Protocol):
    def scale_to(self, replicas: int, *, timeout: float, mark: Marker) -> list[str]:
        """Scale to ``replicas``; return the pods added or removed."""


class Action(Protocol):
    @property
    def name(self) -> str: ...

    def run(self, app: object, *, timeout: float, mark: Marker) -> list[str]:
        """Do it, within ``timeout`` seconds; return the pods it touched."""


def _needs(app: object, kind: type, what: str) -> None:
    if not isinstance(app, kind):
        raise StickyError(
            f"sticky_load: {what} needs an app that supports it; {type(app).__name__} does not "
            "(the local, existing, kind and openshift clusters' apps do)"
        )


@dataclass(frozen=True)
class RollingRestart:
    """A StatefulSet rolling update: pods from the highest ordinal down to ``partition``, one at a
    time, each terminated with ``grace_period`` and replaced before the next."""

    partition: int = 0
    grace_period: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.partition, bool) or not isinstance(self.partition, int) or self.partition < 0:
            raise LoadInputError(f"RollingRestart: partition must be an integer >= 0, not {self.partition!r}")
        if not 0 <= self.grace_period <= 300:
            raise LoadInputError(f"RollingRestart: grace_period={self.grace_period!r} s is out of bounds (0 to 300)")

    @property
    def name(self) -> str:
        suffix = f", ordinals >= {self.partition}" if self.partition else ""
        return f"rolling restart (grace {self.grace_period:g} s{suffix})"

    def run(self, app: object, *, timeout: float, mark: Marker) -> list[str]:
        _needs(app, RollingApp, "a rolling restart")
        assert isinstance(app, RollingApp)
        return app.rolling_restart(partition=self.partition, grace_period=self.grace_period, timeout=timeout, mark=mark)


@dataclass(frozen=True)
class ScaleTo:
    replicas: int

    def __post_init__(self) -> None:
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int):
            raise LoadInputError(f"ScaleTo: replicas must be an integer, not {self.replicas!r}")
        if not 1 <= self.replicas <= MAX_REPLICAS:
            raise LoadInputError(f"ScaleTo: replicas={self.replicas} is out of bounds (1 to {MAX_REPLICAS})")

    @property
    def name(self) -> str:
        return f"scale to {self.replicas}"

    def run(self, app: object, *, timeout: float, mark: Marker) -> list[str]:
        _needs(app, ScalableApp, "scaling")
        assert isinstance(app, ScalableApp)
        return app.scale_to(self.replicas, timeout=timeout, mark=mark)


@dataclass(frozen=True)
class KillPod:
    """Kill one pod without warning (SIGKILL / grace period 0) and wait for its replacement."""

    pod: str | None = None
    """Default: the ready pod with the highest ordinal."""

    @property
    def name(self) -> str:
        return f"kill {self.pod or 'the highest ordinal'}"

    def run(self, app: object, *, timeout: float, mark: Marker) -> list[str]:
        from pytest_sticky.app import StickyApp

        sticky: StickyApp = app  # type: ignore[assignment]
        pods = sticky.pods()
        victim = self.pod or max(pods, key=_ordinal, default="")
        if not victim:
            raise StickyError("sticky_load: no ready pod to kill")
        old_uid = sticky.pod_uid(victim)
        mark(f"{victim} killed")
        sticky.delete_pod(victim, 0.0)
        sticky.wait_replaced(victim, old_uid, timeout)
        mark(f"{victim} ready")
        return [victim]


def _ordinal(pod: str) -> int:
    tail = pod.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1
