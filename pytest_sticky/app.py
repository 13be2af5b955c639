"""What every cluster type gives the helpers: a deployed app they can talk to and disturb.

The helpers (``assert_sticky``, ``assert_spread``, ``kill_serving_pod``) are written against
this protocol only, so they work unchanged on ``local``, ``existing``, ``kind`` and
``openshift``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pytest_sticky.behaviours import AffinityBehaviour

Store = Literal["memory", "redis"]


@dataclass(frozen=True)
class AppSpec:
    name: str = "hello"
    replicas: int = 3
    store: Store = "memory"
    affinity: bool = True
    """Cookie affinity on the app's Ingress (False: a plain Ingress that spreads)."""
    ingress_annotations: dict[str, str | None] = field(default_factory=dict)
    """Extra ``nginx.ingress.kubernetes.io/*`` annotations for the app's Ingress (e.g. cookie attributes);
    ``None`` leaves that annotation out (e.g. ``session-cookie-name``, for the controller's default)."""
    grace_period: int | None = None
    """terminationGracePeriodSeconds of its pods (Kubernetes; default: --sticky-grace-period); the
    app drains for this long less 0.2 s after SIGTERM."""


class ServedPods:
    """The pod that answered the last request to one app that a client recorded: what
    ``kill_serving_pod()`` kills when no cookie jar is given.

    Each app holds its own (``app.served``); a ``StickyClient`` records into it when given
    ``served=`` (``client_for(app)``, the fixtures and ``kill_serving_pod`` pass it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: str | None = None

    def record(self, pod: str) -> None:
        with self._lock:
            self._last = pod

    @property
    def last(self) -> str | None:
        with self._lock:
            return self._last


class StickyApp(Protocol):
    name: str
    url: str
    """Base URL through the ingress / route / proxy."""
    cookie_name: str | None
    """Name of the affinity cookie this app's proxy sets (``None``: no cookie affinity)."""
    behaviour: AffinityBehaviour
    store: Store
    headers: dict[str, str]
    """Headers every request to the app needs (a ``Host`` when an ingress routes by host)."""
    reached_via: str
    """How the tests reach the app, e.g. ``haproxy 127.0.0.1:41234`` or ``ingress-nginx``."""
    served: ServedPods
    """Which pod answered the last request recorded for this app."""

    def pods(self) -> list[str]:
        """Names of the pods that are ready (and routed to)."""

    def pod_uid(self, pod: str) -> str:
        """Identity of the pod's current incarnation (changes when it is replaced)."""

    def delete_pod(self, pod: str, grace_period: float) -> str:
        """Delete (or kill) ``pod``; return the uid it had."""

    def wait_replaced(self, pod: str, old_uid: str, timeout: float) -> str:
        """Wait until a replacement named ``pod`` is ready and routed to; return its uid."""

    def explain_unreachable(self) -> str:
        """Why the app may not be answering (a dead proxy, say), or ``""``."""

    def diagnostics(self) -> dict[str, str]:
        """Report sections (title -> text) that show the app's state."""


class StickyCluster(Protocol):
    name: str

    @property
    def description(self) -> str: ...

    def redis(self) -> object:
        """Make a Redis session store available (MissingTool when it cannot be had)."""

    def deploy_app(self, spec: AppSpec) -> StickyApp: ...

    def close(self) -> None: ...
