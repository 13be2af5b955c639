"""Free loopback ports, and starting a server on one when another program may take it first.

Between picking a free port and a child binding it, another process can take it. Servers
started through :func:`start_on_free_port` are retried on a fresh port when their start fails
because the address was in use.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

LOOPBACK = "127.0.0.1"
ATTEMPTS = 5
T = TypeVar("T")

BIND_FAILURE_MARKERS = (
    "address already in use",  # Python, Caddy, Redis
    "cannot bind socket",  # HAProxy
    "starting frontend",  # HAProxy: "Starting frontend fe: cannot bind socket"
)


class PortTaken(Exception):
    """The server could not bind its port because something else holds it."""


def pick_free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def looks_like_bind_failure(output: str) -> bool:
    lowered = output.lower()
    return any(marker in lowered for marker in BIND_FAILURE_MARKERS)


def start_on_free_port(
    start: Callable[[int], T],
    *,
    what: str,
    pick: Callable[[], int] = pick_free_port,
    attempts: int = ATTEMPTS,
) -> T:
    """Call ``start(port)`` with a freshly picked port until it does not raise PortTaken."""
    taken: list[int] = []
    for _ in range(attempts):
        port = pick()
        try:
            return start(port)
        except PortTaken:
            taken.append(port)
    from pytest_sticky.errors import SetupError

    raise SetupError(f"{what}: every port tried was taken before it could bind: {taken}")
