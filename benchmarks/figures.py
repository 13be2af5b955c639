"""From measurements to the table's rows and to the words on what bounds each figure."""

from __future__ import annotations

from benchmarks import failover, k8s_notice, overhead, rates, suite, waits
from benchmarks.report import Goal, Row
from benchmarks.stats import Summary


def _ms(samples: list[float]) -> Summary | None:
    return Summary.of(samples).scaled(1000) if samples else None


def rate_rows(r: rates.RateResults) -> list[Row]:
    rows = [
        Row(
            "StickyClient req/s / curl-loop req/s, per round",
            "x",
            r.ratio("client", "curl"),
            key="client_vs_curl_ratio",
            goal=Goal(">=", 10),
            digits=2,
        ),
        Row(
            "StickyClient req/s / wrk -t1 -c1 req/s, per round",
            "x",
            r.ratio("client", "wrk_c1"),
            key="client_vs_ceiling_ratio",
            goal=Goal(">=", 0.5),
            digits=2,
        ),
    ]
    rows += [Row(s.label, "req/s", r.summary(key), digits=0) for key, s in r.series.items()]
    return rows


def rate_note(r: rates.RateResults) -> str:
    def us(key: str) -> float:
        return 1e6 / r.summary(key).median

    client, ceiling = us("client"), us("wrk_c1")
    return (
        f"{rates.LIMITS} Measured ({r.proxy}, medians): a StickyClient request takes {client:.0f} us, "
        f"a wrk -c1 round trip {ceiling:.0f} us, so about {client - ceiling:.0f} us of each client request is "
        f"the Python client itself; plain requests.Session: {us('requests'):.0f} us, the same with "
        f"trust_env=False: {us('requests_no_env'):.0f} us (requests reads the proxy variables of the "
        f"environment on every request; StickyClient reads them once, when it is built), "
        f"stdlib http.client: {us('http_client'):.0f} us. A curl process per "
        f"request costs {us('curl'):.0f} us (fork, exec, TLS library init, a new TCP connection). "
        f"More connections to the same pod (wrk -c{rates.WRK_MANY[1]}) reach "
        f"{r.summary('wrk_many').median:.0f} req/s: the single connection, not the pod, bounds -c1."
    )


def failover_rows(f: failover.FailoverResults) -> list[Row]:
    return [
        Row(
            f"kill_serving_pod(...).recovered_after ({f.proxy})",
            "s",
            Summary.of(f.recovered_s),
            key="failover_local_s",
            goal=Goal("<", 0.5),
            digits=3,
        ),
        Row("  part: delete_pod call (SIGTERM sent)", "ms", _ms(f.delete_call_s)),
        Row("  part: deletion -> victim process gone", "ms", _ms(f.exit_s)),
        Row("  part: process gone -> first good answer", "ms", _ms(f.first_answer_s)),
        Row("replacement ready and routed (replaced_after)", "ms", _ms(f.replaced_s), digits=0),
    ]


def failover_note(f: failover.FailoverResults) -> str:
    def med(samples: list[float]) -> str:
        return f"{Summary.of(samples).median * 1000:.0f} ms" if samples else "n/a"

    return (
        "On local, delete_pod returns once SIGTERM is sent, as a pod deletion does "
        f"({med(f.delete_call_s)}); SIGKILL follows after --sticky-grace-period. kill_serving_pod keeps asking "
        "meanwhile, and answers of the dying process do not count. So recovered_after is mostly the victim's "
        f"own shutdown: {med(f.exit_s)} from SIGTERM to exit (the demo app's handler asks its "
        "ThreadingHTTPServer to shut down, its serve loop sees that at its next 50 ms poll, then the "
        f"interpreter exits); then {med(f.first_answer_s)} for the first good answer, which "
        "the proxy sends to a live replica (HAProxy: option redispatch; Caddy: retries and its fallback "
        f"policy). The client saw {sum(f.failed_requests)} failed request(s) in {len(f.recovered_s)} failovers. "
        f"The replacement (same name, new port) was ready and routed after {med(f.replaced_s)}; the client "
        "does not wait for it."
    )


def wait_rows(m: dict[str, waits.Method]) -> list[Row]:
    plugin = m["plugin"]
    rows = [
        Row(
            "replica ready -> launch() returned (plugin's wait_until)",
            "ms",
            Summary.of(plugin.latencies_ms),
            key="wait_latency_ms",
            goal=Goal("<", 100),
        )
    ]
    rows += [
        Row(f"ready -> noticed, {meth.label}", "ms", Summary.of(meth.latencies_ms))
        for key, meth in m.items()
        if key != "plugin"
    ]
    rows.append(Row("replica start -> ready (Python start, imports, bind)", "ms", Summary.of(plugin.startups_ms)))
    return rows


def wait_note(m: dict[str, waits.Method]) -> str:
    schedule = ", ".join(f"{t:g}" for t in waits.schedule_ms(until=0.5))
    plugin = m["plugin"]
    return (
        f"launch() polls /healthz at about {schedule} ms after the start (10 ms, growing x1.5 to 250 ms), plus "
        f"the time each poll takes. The replica becomes ready {Summary.of(plugin.startups_ms).median:.0f} ms "
        f"after its start (median) and is noticed at the next poll, {Summary.of(plugin.latencies_ms).median:.0f} "
        "ms later: the latency is bounded by the gap between polls around the readiness moment (tens of ms for "
        "a replica that starts in under 0.2 s, 250 ms at most for a slow one). Fixed-interval polling is "
        "bounded by its interval, as the 0.5 s and 1 s rows show. Only a readiness event from the replica "
        "(a pipe or sd_notify-style message) would remove the gap; the demo app has none."
    )


def overhead_rows(o: overhead.OverheadResults) -> list[Row]:
    return [
        Row(
            "pytest --collect-only -q, 20 tests: plugin loaded - disabled, per pair",
            "ms",
            Summary.of(o.differences_ms),
            key="plugin_overhead_ms",
            goal=Goal("<", 100),
        ),
        Row("  same, CPU time (user+sys) difference", "ms", Summary.of(o.cpu_differences_ms)),
        Row("  difference of the fastest runs (min loaded - min disabled)", "ms", Summary.of([o.min_difference_ms])),
        Row("  with the plugin", "s", Summary.of(o.loaded_s), digits=3),
        Row("  with -p no:sticky", "s", Summary.of(o.disabled_s), digits=3),
        Row("  import of pytest_sticky.plugin (-X importtime)", "ms", Summary.of(o.import_ms)),
        Row("  same pairs without -q (report header built), difference", "ms", Summary.of(o.header_differences_ms)),
        Row("  the plugin's pytest_report_header hook alone (no -q)", "ms", Summary.of(o.header_hook_ms)),
    ]


def overhead_note(o: overhead.OverheadResults) -> str:
    header = Summary.of(o.header_hook_ms).median
    return (
        "Loading the plugin imports pytest_sticky and the few modules its hooks need (the rest is imported by "
        f"the fixtures, when used): {Summary.of(o.import_ms).median:.1f} ms; pytest_configure then resolves "
        "the settings. With -q pytest builds no report header; without -q the plugin's header line runs "
        f"`haproxy -v` and `redis-server --version` (two processes): the hook alone takes {header:.0f} ms. "
        "The wall-time difference is the median of back-to-back pairs of runs that each take "
        f"{Summary.of(o.disabled_s).median:.2f} s, so it carries their noise (min {min(o.differences_ms):.0f} "
        f"ms, max {max(o.differences_ms):.0f} ms); the CPU-time and import rows are steadier."
    )


def suite_rows(s: suite.SuiteResults) -> list[Row]:
    local, caddy = s.runs.get("local", []), s.runs.get("local_caddy", [])
    rows = [
        Row(
            "pytest e2e -q -p no:cacheprovider, local, default proxy",
            "s",
            Summary.of(s.walls("local")) if local else None,
            key="suite_local_s",
            digits=2,
            missing="" if local else "not measured",
        ),
        Row(
            "the same with --sticky-local-proxy=caddy",
            "s",
            Summary.of(s.walls("local_caddy")) if caddy else None,
            key="suite_local_caddy_s",
            digits=2,
            missing="" if caddy else "not measured",
        ),
    ]
    if local:
        rows += [
            Row(
                "pytest process VmHWM during the local suite",
                "MB",
                Summary.of([r.peak_rss_mb for r in local]),
                key="peak_rss_mb",
            ),
            Row(
                "  largest RSS sum of pytest + replicas + proxy", "MB", Summary.of([r.peak_tree_rss_mb for r in local])
            ),
        ]
    else:
        rows.append(
            Row("pytest process VmHWM during the local suite", "MB", None, key="peak_rss_mb", missing="not measured")
        )
    for key, runs in (("default proxy", local), ("caddy", caddy)):
        recovered = [x for r in runs for x in r.recovered_after_s]
        if recovered:
            rows.append(Row(f"  failovers inside the suite, {key} (recovered_after)", "ms", _ms(recovered)))
    return rows


def devcluster_rows(result: suite.DevclusterResult | None, reason: str) -> list[Row]:
    """The suite's time only from a passed run; failovers from its passed tests even if others failed."""
    passed = result.passed if result is not None else None
    why = reason or (result.reason if result is not None else "")
    recovered = result.run.recovered_after_s if result is not None and result.run is not None else []
    return [
        Row(
            "pytest e2e on the devcluster",
            "s",
            Summary.of([passed.wall_s]) if passed else None,
            key="suite_devcluster_s",
            digits=2,
            missing=why,
        ),
        Row(
            "failovers on the devcluster (recovered_after, passed tests of the suite)",
            "s",
            Summary.of(recovered) if recovered else None,
            key="failover_k8s_s",
            digits=3,
            missing=why or "the devcluster suite reported no failover",
        ),
    ]


def notice_rows(n: k8s_notice.NoticeResults | None, reason: str) -> list[Row]:
    """Delay from a pod turning Ready in the API to the plugin noticing it (watch), and polling beside it."""
    return [
        Row(
            "k8s: a replacement pod Ready -> noticed by the plugin's watch (vs a 20 ms poll)",
            "ms",
            Summary.of(n.watch_ms) if n and n.watch_ms else None,
            key="k8s_ready_notice_ms",
            missing=reason or "no sample",
        ),
        Row(
            "  the same noticed by a 1 s poll (kubectl wait-style; info)",
            "ms",
            Summary.of(n.poll_1s_ms) if n and n.poll_1s_ms else None,
            missing=reason or "no sample",
        ),
        Row(
            "  pod delete -> replacement Ready in the API",
            "s",
            Summary.of(n.replaced_s) if n and n.replaced_s else None,
            missing=reason or "no sample",
            digits=2,
        ),
    ]


def notice_note(n: k8s_notice.NoticeResults) -> str:
    return (
        "A watch is told of the change by the API server as it is stored; a poll learns of it at its next "
        f"request, on average half its interval later. Samples: watch {len(n.watch_ms)}, relative to a 20 ms poll "
        "(negative: the watch was first)."
    )
