"""Requests per second of a pinned client: the plugin's client, a curl loop, wrk, side by side.

Every series sends requests carrying the same affinity cookie to the same proxy, so all of
them reach the same pod. One round runs each series once (1000 requests for the clients,
a fixed duration for wrk), the order rotating between rounds.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.cookies import RequestsCookieJar

from benchmarks.local import local_app, pinned_jar
from benchmarks.stats import Summary, alternate, ratios
from pytest_sticky.assertions import check_pinned
from pytest_sticky.client import StickyClient
from pytest_sticky.commands import CommandError, run_command

REQUESTS = 1000
WRK_SECONDS = 2
WRK_MANY = (2, 8)
"""wrk's threads and connections for the "more connections" figure (2 cores here)."""

LIMITS = (
    "A pinned client is one cookie, so one pod: the proxy sends all its requests to one "
    "single-process Python replica (ThreadingHTTPServer), whatever the client does. It is also "
    "one keep-alive connection sending one request at a time, so its rate is 1 / (round-trip "
    "latency): client + proxy + pod, with no overlap. And each request pays the Python client's "
    "own cost (requests' session machinery, the cookie jar, the record kept of every request); "
    "on 2 cores the client, the proxy and the pod also compete for CPU. wrk -c1 is the same "
    "single connection without the Python cost: the ceiling of a pinned client."
)


@dataclass
class Series:
    """Requests per second of one way of sending the pinned requests, one value per round."""

    key: str
    label: str
    rates: list[float] = field(default_factory=list)

    def timed(self, count: int, send: Callable[[], object]) -> None:
        start = time.perf_counter()
        send()
        self.rates.append(count / (time.perf_counter() - start))


@dataclass
class RateResults:
    proxy: str
    rounds: int
    requests: int
    wrk_seconds: int
    series: dict[str, Series]

    def summary(self, key: str) -> Summary:
        return Summary.of(self.series[key].rates)

    def ratio(self, key: str, over: str) -> Summary:
        return Summary.of(ratios(self.series[key].rates, self.series[over].rates))

    def to_json(self) -> dict[str, Any]:
        return {
            "proxy": self.proxy,
            "rounds": self.rounds,
            "requests_per_round": self.requests,
            "wrk_seconds": self.wrk_seconds,
            "rps": {
                key: {"label": s.label, **self.summary(key).to_json(1), "samples": [round(r, 1) for r in s.rates]}
                for key, s in self.series.items()
            },
            "limits": LIMITS,
        }


def curl_loop(url: str, cookie: str, pod: str, count: int) -> None:
    """The seeds' method: one ``curl -s -b NAME=VALUE URL`` process per request (no shell)."""
    for _ in range(count):
        done = run_command(["curl", "-s", "-b", cookie, url], timeout=10)
        if f'"{pod}"' not in done.stdout:
            raise RuntimeError(f"curl with {cookie} was not answered by {pod}: {done.stdout!r}")


def wrk_rate(url: str, cookie: str, *, threads: int, connections: int, seconds: int) -> float:
    done = run_command(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        timeout=seconds + 30,
    )
    bad = [line for line in done.stdout.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    if bad:
        raise CommandError(
            ["wrk", url], done.returncode, done.stdout, done.stderr, reason="saw errors: " + "; ".join(bad)
        )
    match = re.search(r"Requests/sec:\s*([0-9.]+)", done.stdout)
    if match is None:
        raise CommandError(["wrk", url], done.returncode, done.stdout, done.stderr, reason="printed no Requests/sec")
    return float(match.group(1))


def _requests_loop(url: str, jar: RequestsCookieJar, pod: str, count: int, *, trust_env: bool) -> None:
    with requests.Session() as session:
        session.trust_env = trust_env
        session.cookies = jar
        for _ in range(count):
            response = session.get(url, timeout=5, allow_redirects=False)
            if response.headers.get("X-Pod-Name") != pod:
                raise RuntimeError(f"requests ({trust_env=}) was answered by {response.headers.get('X-Pod-Name')}")


def _http_client_loop(url: str, cookie: str, pod: str, count: int) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=5)
    try:
        for _ in range(count):
            conn.request("GET", parts.path or "/", headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.getheader("X-Pod-Name") != pod:
                raise RuntimeError(f"http.client was answered by {response.getheader('X-Pod-Name')}")
    finally:
        conn.close()


def measure(*, proxy: str, rounds: int, count: int = REQUESTS, wrk_seconds: int = WRK_SECONDS) -> RateResults:
    threads, connections = WRK_MANY
    series = {
        "client": Series("client", f"StickyClient.get_many({count}) with a cookie jar (what assert_sticky uses)"),
        "curl": Series("curl", f"{count} x `curl -s -b NAME=VALUE URL`, one process each, from Python"),
        "wrk_c1": Series("wrk_c1", f"wrk -t1 -c1 -d{wrk_seconds}s -H 'Cookie: NAME=VALUE' (the ceiling)"),
        "wrk_many": Series("wrk_many", f"wrk -t{threads} -c{connections} (more connections, same pod; info)"),
        "requests": Series("requests", f"plain requests.Session, same jar, {count} requests (info)"),
        "requests_no_env": Series("requests_no_env", "the same with session.trust_env = False (info)"),
        "http_client": Series("http_client", f"stdlib http.client, one keep-alive connection, {count} requests (info)"),
    }
    with local_app(proxy) as (cluster, app):
        jar, name, value = pinned_jar(app)
        cookie = f"{name}={value}"
        url = app.url
        with StickyClient(url, jar) as probe:
            pod = check_pinned(probe.get_many(3), url=url)

        def sticky(key: str) -> None:
            with StickyClient(url, jar, explain=app.explain_unreachable, headers=app.headers) as client:
                series[key].timed(count, lambda: client.get_many(count))
                if check_pinned(client.records, url=url) != pod or len(client.records) != count:
                    raise RuntimeError(f"the client was not pinned to {pod}")

        def client() -> None:
            sticky("client")

        def curl() -> None:
            series["curl"].timed(count, lambda: curl_loop(url, cookie, pod, count))

        def wrk_one() -> None:
            series["wrk_c1"].rates.append(wrk_rate(url, cookie, threads=1, connections=1, seconds=wrk_seconds))

        def wrk_many() -> None:
            series["wrk_many"].rates.append(
                wrk_rate(url, cookie, threads=threads, connections=connections, seconds=wrk_seconds)
            )

        def references() -> None:
            series["requests"].timed(count, lambda: _requests_loop(url, jar, pod, count, trust_env=True))
            series["requests_no_env"].timed(count, lambda: _requests_loop(url, jar, pod, count, trust_env=False))
            series["http_client"].timed(count, lambda: _http_client_loop(url, cookie, pod, count))

        alternate(rounds, [client, curl, wrk_one, wrk_many, references])
        return RateResults(
            proxy=f"{cluster.proxy_kind} ({cluster.proxy_binary})",
            rounds=rounds,
            requests=count,
            wrk_seconds=wrk_seconds,
            series=series,
        )
