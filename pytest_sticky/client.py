"""A client that records every request: status, serving pod, cookies sent and received, time.

It is what the assertions use, so that any failure can list each request that led to it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from pytest_sticky.app import StickyApp

DEFAULT_POD_FROM = "auto"
DEFAULT_TIMEOUT_S = 5.0
_last_served: dict[str, str] = {}
_last_served_lock = threading.Lock()


@dataclass(frozen=True)
class RequestRecord:
    n: int
    url: str
    status: int | None
    """HTTP status, or None when no response came (see ``error``)."""
    pod: str | None
    cookie_sent: str
    """The ``Cookie`` header sent ("" for none)."""
    set_cookie: tuple[str, ...]
    elapsed_s: float
    error: str = ""
    body: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.pod is not None


def pod_reader(pod_from: str) -> Callable[[requests.Response], str | None]:
    """``header:<Name>``, ``json:<key>`` or ``auto`` (the ``X-Pod-Name`` header, then ``pod``)."""
    kind, _, key = pod_from.partition(":")
    if kind == "header" and key:
        return lambda response: response.headers.get(key)
    if kind == "json" and key:
        return lambda response: _json_key(response, key)
    if pod_from == DEFAULT_POD_FROM:
        return lambda response: response.headers.get("X-Pod-Name") or _json_key(response, "pod")
    raise ValueError(f"pod_from must be 'header:<Name>', 'json:<key>' or 'auto', not {pod_from!r}")


def _json_key(response: requests.Response, key: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(key) if isinstance(body, dict) else None
    return str(value) if value is not None else None


def last_served(url: str) -> str | None:
    """The pod that answered the last recorded request to ``url``'s origin."""
    with _last_served_lock:
        return _last_served.get(_origin(url))


def _origin(url: str) -> str:
    return urljoin(url, "/")


class StickyClient:
    """Sends requests with one cookie jar (or none) and records each of them."""

    def __init__(
        self,
        url: str,
        cookie_jar: CookieJar | None = None,
        *,
        pod_from: str = DEFAULT_POD_FROM,
        timeout: float = DEFAULT_TIMEOUT_S,
        explain: Callable[[], str] | None = None,
        headers: Mapping[str, str] | None = None,
        new_connection_each: bool = False,
    ) -> None:
        """``new_connection_each``: every request on its own TCP connection (``Connection: close``),
        as distinct users would send them; else requests share kept-alive connections, like one browser.
        """
        self.url = url
        self.timeout = timeout
        self.explain = explain
        self._read_pod = pod_reader(pod_from)
        self.records: list[RequestRecord] = []
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        if new_connection_each:
            # urllib3 drops a connection whose request said close; the proxy sees a new client port each time
            self.session.headers["Connection"] = "close"
        # Read the environment's proxy and CA settings once, not on every request (requests
        # does that with trust_env; it cost a quarter of each request's time).
        self.session.trust_env = False
        self.session.proxies = requests.utils.get_environ_proxies(url)
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        # A browser retries an idempotent request once when a kept-alive connection was
        # closed under it (a proxy reload does that); so do we.
        retry = Retry(total=2, connect=2, read=1, status=0, redirect=0, other=0, backoff_factor=0)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        if cookie_jar is None:
            self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # accept no cookie
        else:
            self.session.cookies = cookie_jar  # type: ignore[assignment]

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> StickyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str = "") -> RequestRecord:
        url = urljoin(self.url, path) if path else self.url
        start = time.perf_counter()
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - start
            reason = f"{type(exc).__name__}: {exc}"
            explanation = self.explain() if self.explain is not None else ""
            record = RequestRecord(
                n=len(self.records) + 1,
                url=url,
                status=None,
                pod=None,
                cookie_sent="",
                set_cookie=(),
                elapsed_s=elapsed,
                error=reason + (f" ({explanation})" if explanation else ""),
            )
            self.records.append(record)
            return record
        elapsed = time.perf_counter() - start
        pod = self._read_pod(response)
        try:
            body = response.json()
        except ValueError:
            body = {}
        record = RequestRecord(
            n=len(self.records) + 1,
            url=url,
            status=response.status_code,
            pod=pod,
            cookie_sent=response.request.headers.get("Cookie", "") or "",
            set_cookie=tuple(response.raw.headers.getlist("Set-Cookie")),
            elapsed_s=elapsed,
            body=body if isinstance(body, dict) else {},
        )
        self.records.append(record)
        if pod is not None:
            with _last_served_lock:
                _last_served[_origin(url)] = pod
        return record

    def get_many(self, count: int, path: str = "") -> list[RequestRecord]:
        return [self.get(path) for _ in range(count)]


def client_for(app: StickyApp, cookie_jar: CookieJar | None = None, **kwargs: Any) -> StickyClient:
    """A recording client for ``app``: its URL, the headers it needs (Host), its explanations."""
    return StickyClient(app.url, cookie_jar, headers=app.headers, explain=app.explain_unreachable, **kwargs)
