"""How long after a local replica is ready does the plugin notice?

The replica records its own readiness moment (``ready_mark``: right after ``listen()``), and
the waiter records when it returned; both read CLOCK_MONOTONIC. The plugin's way is
``pytest_sticky.local.launch.launch`` (``wait_until`` with an interval growing from 10 ms by
x1.5 up to 250 ms, polling /healthz), exactly as the local StatefulSet starts a replica. Beside
it, the same replica waited for by fixed-interval polling of /healthz (0.5 s, and 1 s as
``kubectl wait`` does), through the same ``wait_until``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary, alternate
from pytest_sticky.fixture_files import demo_app_script
from pytest_sticky.local.health import http_ok
from pytest_sticky.local.launch import launch
from pytest_sticky.ports import LOOPBACK, pick_free_port
from pytest_sticky.processes import ChildProcess
from pytest_sticky.waiting import wait_until

READY_TIMEOUT_S = 30.0
FIXED_INTERVALS_S = (0.5, 1.0)
MARKER = Path(__file__).with_name("ready_mark.py")


@dataclass
class Method:
    label: str
    latencies_ms: list[float] = field(default_factory=list)
    """From the replica's readiness to the waiter returning."""
    startups_ms: list[float] = field(default_factory=list)
    """From starting the process to its readiness (Python's start and the app's imports)."""


def schedule_ms(interval: float = 0.01, factor: float = 1.5, cap: float = 0.25, until: float = 1.0) -> list[float]:
    """When ``wait_until`` polls (ms after its start, sleep times only), for the explanation."""
    at, delay, times = 0.0, interval, [0.0]
    while at < until:
        at += delay
        times.append(round(at * 1000, 1))
        delay = min(delay * factor, cap)
    return times


def _command(mark: Path, name: str) -> Callable[[int], list[str]]:
    return lambda port: [sys.executable, str(MARKER), str(demo_app_script()), str(mark)]


def _env(name: str) -> Callable[[int], dict[str, str]]:
    return lambda port: {"POD_NAME": name, "PORT": str(port), "BIND": LOOPBACK, "SESSION_STORE": "memory"}


def _plugin_wait(workdir: Path, name: str, mark: Path) -> tuple[ChildProcess, float, float]:
    started = time.monotonic()
    child, _ = launch(
        name, _command(mark, name), env=_env(name), healthy=http_ok, log_dir=workdir, timeout=READY_TIMEOUT_S
    )
    return child, started, time.monotonic()


def _fixed_poll_wait(workdir: Path, name: str, mark: Path, interval: float) -> tuple[ChildProcess, float, float]:
    port = pick_free_port()
    started = time.monotonic()
    child = ChildProcess(name, _command(mark, name)(port), _env(name)(port), workdir / f"{name}.log")
    try:
        wait_until(
            lambda: http_ok(port),
            what=f"{name} on {port}",
            timeout=READY_TIMEOUT_S,
            interval=interval,
            max_interval=interval,
        )
    except BaseException:
        child.stop(grace_period=0)
        raise
    return child, started, time.monotonic()


def measure(*, repetitions: int) -> dict[str, Method]:
    methods = {"plugin": Method("launch(): wait_until, 10 ms growing x1.5 to 250 ms")}
    for interval in FIXED_INTERVALS_S:
        methods[f"poll_{interval:g}s"] = Method(f"fixed {interval:g} s polling of /healthz")
    with tempfile.TemporaryDirectory(prefix="sticky-bench-waits-") as tmp:
        workdir = Path(tmp)
        counter = iter(range(1_000_000))

        def run(key: str, waiter: Callable[[Path, str, Path], tuple[ChildProcess, float, float]]) -> None:
            name = f"bench-{next(counter)}"
            mark = workdir / f"{name}.ready"
            child, started, noticed = waiter(workdir, name, mark)
            try:
                ready = float(mark.read_text())
            finally:
                child.stop(grace_period=0)
            methods[key].latencies_ms.append((noticed - ready) * 1000)
            methods[key].startups_ms.append((ready - started) * 1000)

        def plugin() -> None:
            run("plugin", _plugin_wait)

        steps = [plugin]
        for interval in FIXED_INTERVALS_S:

            def fixed(interval: float = interval) -> None:
                run(f"poll_{interval:g}s", lambda w, n, m: _fixed_poll_wait(w, n, m, interval))

            steps.append(fixed)
        alternate(repetitions, steps)
    return methods


def to_json(methods: dict[str, Method]) -> dict[str, Any]:
    return {
        "methods": {
            key: {
                "label": m.label,
                "latency_ms": {
                    **Summary.of(m.latencies_ms).to_json(1),
                    "samples": [round(x, 1) for x in m.latencies_ms],
                },
                "startup_ms": Summary.of(m.startups_ms).to_json(1),
            }
            for key, m in methods.items()
        },
        "plugin_poll_schedule_ms": schedule_ms(),
        "readiness": "the replica writes time.monotonic() right after listen(); the waiter's return is compared to it",
    }
