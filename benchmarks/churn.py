"""sticky_load's figures: its request rate beside wrk's (same connections, same URL, same run),
and what a rolling restart costs (failed requests, sessions lost) with each session store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.rates import wrk_rate
from benchmarks.stats import Summary, alternate, ratios
from pytest_sticky.app import AppSpec
from pytest_sticky.load.actions import RollingRestart
from pytest_sticky.load.run import sticky_load
from pytest_sticky.local.cluster import LocalCluster

CONNECTIONS = 50
SECONDS = 2.0
ROLLOUT_BROWSERS = 20
ROLLOUT_RATE = 100.0

LOAD_LIMITS = (
    "Both send to the same proxy URL (GET /) over 50 kept-alive connections; wrk with 2 threads "
    "and no cookie, sticky_load as 50 browsers (50 aiohttp sessions, one connection and one "
    "cookie jar each) split over one event loop (uvloop) per core, like wrk's threads: this "
    "process and a worker process here, recording every request (time, pod, status, cookie, "
    "body). Both are bounded by the three single-process Python replicas behind the proxy and, "
    "on 2 cores, by sharing the CPU with them and the proxy: wrk's C needs a few percent of a "
    "core; the Python client's per-request cost (aiohttp's parser and cookie jar, the JSON body, "
    "the record) takes about a core at these rates and leaves less to the replicas. One event "
    "loop alone (processes=1, measured in the same rounds) is bounded by its turn-around, not "
    "its CPU: it stays near 0.6 of a core with 50 or 100 browsers while the machine idles a fifth."
)
ROLLOUT_LIMITS = (
    "20 browsers at 100 requests/s during a rolling restart of 3 local replicas (highest ordinal "
    "first, each out of the proxy before SIGTERM, grace period 1 s). Failed requests are bounded "
    "by the readiness gate (0 when the proxy stops routing to a pod before it stops); sessions "
    "lost by where sessions live: every browser in memory (every pod restarts), none in Redis."
)


@dataclass
class ChurnResults:
    proxy: str
    load_rps: list[float] = field(default_factory=list)
    wrk_rps: list[float] = field(default_factory=list)
    one_loop_rps: list[float] = field(default_factory=list)
    failed: list[float] = field(default_factory=list)
    lost_memory: list[float] = field(default_factory=list)
    lost_redis: list[float] = field(default_factory=list)
    rollout_s: list[float] = field(default_factory=list)

    def ratio(self) -> Summary:
        return Summary.of(ratios(self.load_rps, self.wrk_rps))

    def one_loop_ratio(self) -> Summary:
        return Summary.of(ratios(self.one_loop_rps, self.wrk_rps))

    def to_json(self) -> dict[str, Any]:
        def series(values: list[float]) -> dict[str, Any]:
            return {**Summary.of(values).to_json(2), "samples": [round(v, 2) for v in values]} if values else {}

        return {
            "proxy": self.proxy,
            "connections": CONNECTIONS,
            "seconds": SECONDS,
            "load_rps": series(self.load_rps),
            "wrk_rps": series(self.wrk_rps),
            "one_loop_rps": series(self.one_loop_rps),
            "one_loop_vs_wrk_ratio": {**self.one_loop_ratio().to_json(2)} if self.one_loop_rps else {},
            "rollout_failed_requests": series(self.failed),
            "rollout_sessions_lost_memory": series(self.lost_memory),
            "rollout_sessions_lost_redis": series(self.lost_redis),
            "rollout_seconds": series(self.rollout_s),
            "load_limits": LOAD_LIMITS,
            "rollout_limits": ROLLOUT_LIMITS,
        }


def measure_load(*, proxy: str, rounds: int, out: ChurnResults) -> None:
    cluster = LocalCluster(proxy=proxy)
    try:
        app = cluster.deploy_app(AppSpec())
        out.proxy = f"{cluster.proxy_kind} ({cluster.proxy_binary})"

        def load() -> None:
            result = sticky_load(app, browsers=CONNECTIONS, rate=None, duration=SECONDS, path="/")
            if result.failed:
                raise RuntimeError(f"sticky_load saw {result.failed} failed requests at full speed")
            out.load_rps.append(result.rps)

        def one_loop() -> None:
            result = sticky_load(app, browsers=CONNECTIONS, rate=None, duration=SECONDS, path="/", processes=1)
            out.one_loop_rps.append(result.rps)

        def wrk() -> None:
            out.wrk_rps.append(wrk_rate(app.url, "", threads=2, connections=CONNECTIONS, seconds=round(SECONDS)))

        sticky_load(app, browsers=CONNECTIONS, rate=None, duration=SECONDS / 2, path="/")  # warm-up, not counted
        # one round = one of each, back to back (the order rotating): the ratios compare the same
        # moment of the machine
        alternate(rounds, [load, one_loop, wrk])
    finally:
        cluster.close()


def measure_rollout(*, proxy: str, repetitions: int, out: ChurnResults) -> None:
    cluster = LocalCluster(proxy=proxy)
    try:
        memory = cluster.deploy_app(AppSpec(name="hello"))
        redis = cluster.deploy_app(AppSpec(name="hello-redis", store="redis"))
        for _ in range(repetitions):
            for app, lost in ((memory, out.lost_memory), (redis, out.lost_redis)):
                result = sticky_load(
                    app, browsers=ROLLOUT_BROWSERS, rate=ROLLOUT_RATE, duration=60, action=RollingRestart()
                )
                out.failed.append(result.failed)
                lost.append(result.sessions_lost)
                assert result.action_start is not None and result.action_end is not None
                out.rollout_s.append(result.action_end - result.action_start)
    finally:
        cluster.close()


def rows(r: ChurnResults) -> list[Any]:
    from benchmarks.report import Goal, Row

    out: list[Row] = []
    if r.load_rps:
        out += [
            Row(
                f"sticky_load, {CONNECTIONS} browsers, every request recorded",
                "req/s",
                Summary.of(r.load_rps),
                key="load_rps",
                digits=0,
            ),
            Row(f"wrk -t2 -c{CONNECTIONS}, same URL, same rounds (info)", "req/s", Summary.of(r.wrk_rps), digits=0),
            Row(
                "sticky_load req/s / wrk req/s, per round",
                "x",
                r.ratio(),
                key="load_vs_wrk_ratio",
                goal=Goal(">=", 0.35),
                digits=2,
            ),
            Row(
                "the same with one event loop (processes=1, the client before 2026-12-02), same rounds (info)",
                "x",
                r.one_loop_ratio(),
                digits=2,
            ),
        ]
    if r.failed:
        out += [
            Row(
                "failed requests during a graceful rolling restart (memory and Redis runs)",
                "requests",
                Summary.of(r.failed),
                key="rollout_failed_requests",
                goal=Goal("<", 1),
                digits=0,
            ),
            Row(
                f"browsers (of {ROLLOUT_BROWSERS}) that lost their session, in-memory store",
                "browsers",
                Summary.of(r.lost_memory),
                key="rollout_sessions_lost_memory",
                digits=0,
            ),
            Row(
                f"browsers (of {ROLLOUT_BROWSERS}) that lost their session, Redis store",
                "browsers",
                Summary.of(r.lost_redis),
                key="rollout_sessions_lost_redis",
                goal=Goal("<", 1),
                digits=0,
            ),
            Row("rolling restart of 3 local replicas under load (info)", "s", Summary.of(r.rollout_s), digits=2),
        ]
    return out


def note(r: ChurnResults) -> str:
    parts = []
    if r.load_rps:
        parts.append(
            f"{LOAD_LIMITS} Measured ({r.proxy}, medians): sticky_load {Summary.of(r.load_rps).median:.0f} req/s, "
            f"wrk {Summary.of(r.wrk_rps).median:.0f} req/s."
        )
    if r.failed:
        parts.append(ROLLOUT_LIMITS)
    return " ".join(parts)
