"""A client that records every request: status, serving pod, cookies sent and received, time.

It is what the assertions use, so that any failure can list each request that led to it.

Requests go through urllib3's connection pool directly (requests' own transport, no new
dependency): requests' session machinery (hooks, merging settings, adapters, redirects, a new
Response object) cost more per request than the round trip through the local proxy. The cookie
jar keeps ``http.cookiejar`` semantics through requests' own ``get_cookie_header`` and
``extract_cookies_to_jar``, so the ``cookie_jar`` fixture (a ``RequestsCookieJar``) fills as before.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import certifi
import requests
import urllib3
from requests.cookies import extract_cookies_to_jar, get_cookie_header
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from pytest_sticky.app import ServedPods, StickyApp

DEFAULT_POD_FROM = "auto"
DEFAULT_TIMEOUT_S = 5.0


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


class _Answer:
    """What a pod reader sees of a response: its headers and its JSON body (parsed once, on demand)."""

    __slots__ = ("_body", "_data", "headers")

    def __init__(self, headers: Mapping[str, str], data: bytes) -> None:
        self.headers = headers
        self._data = data
        self._body: Any = None

    def json(self) -> Any:
        if self._body is None:
            self._body = json.loads(self._data)
        return self._body


def pod_reader(pod_from: str) -> Callable[[Any], str | None]:
    """``header:<Name>``, ``json:<key>`` or ``auto`` (the ``X-Pod-Name`` header, then ``pod``)."""
    kind, _, key = pod_from.partition(":")
    if kind == "header" and key:
        return lambda response: response.headers.get(key)
    if kind == "json" and key:
        return lambda response: _json_key(response, key)
    if pod_from == DEFAULT_POD_FROM:
        return lambda response: response.headers.get("X-Pod-Name") or _json_key(response, "pod")
    raise ValueError(f"pod_from must be 'header:<Name>', 'json:<key>' or 'auto', not {pod_from!r}")


def _json_key(response: Any, key: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(key) if isinstance(body, dict) else None
    return str(value) if value is not None else None


def certs() -> str:
    """The CA bundle requests verifies against by default (certifi's)."""
    return certifi.where()


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
        verify: bool | str | None = None,
        served: ServedPods | None = None,
    ) -> None:
        """``new_connection_each``: every request on its own TCP connection (``Connection: close``),
        as distinct users would send them; else requests share kept-alive connections, like one browser.
        ``verify``: False, a CA bundle's path, or True (the default CAs); None (default) reads
        ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` once, as requests would.
        ``served``: the app's record of the pod that served its last request (``app.served``),
        which ``kill_serving_pod()`` without a jar reads; each answer naming a pod updates it.
        """
        self.url = url
        self.served = served
        self.timeout = timeout
        self.explain = explain
        self._read_pod = pod_reader(pod_from)
        self.records: list[RequestRecord] = []
        self._headers: dict[str, str] = dict(headers or {})
        if new_connection_each:
            # urllib3 drops a connection whose request said close; the proxy sees a new client port each time
            self._headers["Connection"] = "close"
        # Read the environment's proxy and CA settings once, not on every request.
        proxies = requests.utils.get_environ_proxies(url)
        env_verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.verify: bool | str = env_verify if verify is None else verify
        # A browser retries an idempotent request once when a kept-alive connection was
        # closed under it (a proxy reload does that); so do we.
        self._retry = Retry(total=2, connect=2, read=1, status=0, redirect=0, other=0, backoff_factor=0)
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        tls: dict[str, Any] = (
            {"cert_reqs": "CERT_NONE"}
            if self.verify is False
            else {"cert_reqs": "CERT_REQUIRED", "ca_certs": self.verify if isinstance(self.verify, str) else certs()}
        )
        proxy = requests.utils.select_proxy(url, proxies)
        self._pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, maxsize=1, **tls) if proxy else urllib3.PoolManager(maxsize=1, **tls)
        )
        self._prepared: dict[str, requests.PreparedRequest] = {}
        if cookie_jar is None:
            self.cookies: CookieJar = requests.cookies.RequestsCookieJar()
            self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # accept no cookie
        else:
            self.cookies = cookie_jar
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """A ``requests.Session`` with the same jar, headers, proxies and CA, for one-off raw requests."""
        if self._session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(self.url)
            session.verify = self.verify
            session.cookies = self.cookies  # type: ignore[assignment]
            self._session = session
        return self._session

    def close(self) -> None:
        self._pool.clear()
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> StickyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request_for(self, url: str) -> requests.PreparedRequest:
        """The request the cookie jar judges (its URL and headers), one per URL."""
        prepared = self._prepared.get(url)
        if prepared is None:
            prepared = requests.PreparedRequest()
            prepared.url = url
            prepared.headers = CaseInsensitiveDict(self._headers)
            self._prepared[url] = prepared
        return prepared

    def get(self, path: str = "") -> RequestRecord:
        url = urljoin(self.url, path) if path else self.url
        prepared = self._request_for(url)
        cookie = get_cookie_header(self.cookies, prepared) or ""  # type: ignore[no-untyped-call]
        headers = {**self._headers, "Cookie": cookie} if cookie else self._headers
        start = time.perf_counter()
        try:
            response = self._pool.request(
                "GET", url, headers=headers, timeout=self._timeout, retries=self._retry, redirect=False
            )
        except Urllib3Error as exc:
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
        set_cookie = tuple(response.headers.getlist("Set-Cookie"))
        if set_cookie:
            extract_cookies_to_jar(self.cookies, prepared, response)  # type: ignore[no-untyped-call]
        answer = _Answer(response.headers, response.data)
        pod = self._read_pod(answer)
        try:
            body = answer.json()
        except ValueError:
            body = {}
        record = RequestRecord(
            n=len(self.records) + 1,
            url=url,
            status=response.status,
            pod=pod,
            cookie_sent=cookie,
            set_cookie=set_cookie,
            elapsed_s=elapsed,
            body=body if isinstance(body, dict) else {},
        )
        self.records.append(record)
        if pod is not None and self.served is not None:
            self.served.record(pod)
        return record

    def get_many(self, count: int, path: str = "") -> list[RequestRecord]:
        return [self.get(path) for _ in range(count)]


def client_for(app: StickyApp, cookie_jar: CookieJar | None = None, **kwargs: Any) -> StickyClient:
    """A recording client for ``app``: its URL, the headers it needs (Host), its explanations; the
    pods that answer are recorded in ``app.served``."""
    kwargs.setdefault("served", app.served)
    return StickyClient(app.url, cookie_jar, headers=app.headers, explain=app.explain_unreachable, **kwargs)
