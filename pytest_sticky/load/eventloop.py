"""One event loop per load run: uvloop where it is installed, else asyncio's own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on uvloop where it is installed (a dependency on Linux and macOS: it cut the
    client's cost per request by about a tenth here), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def in_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """A new event loop here, or in a thread when this thread already runs one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run(make())
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(run(make()))
        except BaseException as exc:  # noqa: BLE001 (re-raised in the caller's thread)
            errors.append(exc)

    thread = threading.Thread(target=target, name="sticky-load")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]
