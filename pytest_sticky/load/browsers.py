"""Concurrent browsers on aiohttp: each has its own cookie jar, keep-alive connection and app
session, sends one request at a time (as a browser tab does) at its share of the total rate,
and records every request.

aiohttp, like a browser, retries an idempotent request once when a kept-alive connection was
closed under it (a proxy reload or a drained pod does that), so those are not counted as errors;
everything else (refused connections, timeouts, 5xx) is.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin

import aiohttp
from yarl import URL

from pytest_sticky.load.result import Hit
from pytest_sticky.load.spec import LoadSpec


class Browsers:
    """Browsers ``ids`` (default: all ``spec.browsers``) sending to ``url + spec.path`` until
    ``stop()``, in this process's event loop. ``spec.rate`` is the rate of all browsers together,
    wherever the others run (``load.processes``)."""

    def __init__(
        self,
        url: str,
        spec: LoadSpec,
        *,
        cookie_name: str | None,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        ids: range | None = None,
        on_answered: Callable[[int], None] | None = None,
    ) -> None:
        self.ids = range(spec.browsers) if ids is None else ids
        self.on_answered = on_answered
        """Called once per browser, at its first successful answer (a worker process reports it)."""
        self.target = URL(urljoin(url, spec.path))  # parsed once, not on every request
        self.spec = spec
        self.cookie_name = cookie_name
        self.headers = dict(headers or {})
        self.clock = clock
        self.t0 = 0.0
        self.ended = 0.0
        """When the last of these browsers stopped (the clock's value)."""
        self.hits: list[Hit] = []
        self._answered: set[int] = set()
        self._all_answered = asyncio.Event()
        self._stopping = asyncio.Event()

    async def all_answered(self) -> None:
        """Return once each of these browsers has had one successful answer (it is pinned)."""
        await self._all_answered.wait()

    def answered(self) -> int:
        return len(self._answered)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, t0: float) -> None:
        self.t0 = t0
        # One task that ends at stop(), which every pacing pause waits on with asyncio.wait: unlike
        # asyncio.wait_for it never cancels what it waits on (3.11's wait_for can raise
        # CancelledError when the timeout and the event come in the same loop iteration).
        stopped: asyncio.Future[bool] = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.gather(*(self._browse(i, stopped) for i in self.ids))
        finally:
            stopped.cancel()
            self.ended = self.clock()

    async def _browse(self, browser: int, stopped: asyncio.Future[bool]) -> None:
        spec = self.spec
        connector = aiohttp.TCPConnector(limit=1, ttl_dns_cache=None, enable_cleanup_closed=False)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of IP-address hosts (127.0.0.1) too
        timeout = aiohttp.ClientTimeout(total=spec.timeout)
        interval = spec.interval
        # spread the browsers' first requests over one interval, so the rate is even from the start
        next_at = self.clock() + (interval * browser / spec.browsers if interval else 0.0)
        affinity: str | None = None
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=jar, timeout=timeout, headers=self.headers, auto_decompress=False
        ) as session:
            while not self._stopping.is_set():
                if interval:
                    delay = next_at - self.clock()
                    if delay > 0:
                        done, _ = await asyncio.wait({stopped}, timeout=delay)
                        if done:
                            break
                    next_at = max(next_at + interval, self.clock())
                hit, affinity = await self._request(session, browser, affinity)
                self.hits.append(hit)
                if hit.ok and browser not in self._answered:
                    self._answered.add(browser)
                    if self.on_answered is not None:
                        self.on_answered(browser)
                    if len(self._answered) == len(self.ids):
                        self._all_answered.set()

    async def _request(
        self, session: aiohttp.ClientSession, browser: int, affinity: str | None
    ) -> tuple[Hit, str | None]:
        sent = self.clock()
        try:
            async with session.get(self.target, allow_redirects=False) as response:
                data = await response.read()
                status = response.status
                pod = response.headers.get("X-Pod-Name")
                if self.cookie_name is not None:
                    morsel = response.cookies.get(self.cookie_name)
                    if morsel is not None:
                        affinity = morsel.value
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            return Hit(sent - self.t0, browser, None, None, affinity, None, None, self.clock() - sent, reason), affinity
        body = _json(data)
        session_id = body.get("session")
        count = body.get("count")
        return (
            Hit(
                t=sent - self.t0,
                browser=browser,
                status=status,
                pod=pod or _str(body.get("pod")),
                affinity=affinity,
                session=_str(session_id),
                count=count if isinstance(count, int) else None,
                elapsed=self.clock() - sent,
                error="" if status == 200 else f"status {status}: {data[:120].decode(errors='replace')}",
            ),
            affinity,
        )


def _json(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _str(value: object) -> str | None:
    return None if value is None else str(value)
