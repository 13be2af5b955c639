"""Benchmarks of pytest-sticky on this machine: a pinned client's rate against curl and wrk,
failover time and readiness-wait latency on the local cluster, the plugin's load-time overhead,
the e2e suite's wall time and memory (and on a devcluster, given its kubeconfig). Prints a table
(median, min, max, goal) and writes JSON; see benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import churn, environment, failover, figures, k8s_notice, overhead, rates, report, suite, waits

SECTIONS = ("rates", "failover", "waits", "overhead", "suite", "devcluster", "k8s_notice", "load", "rollout")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
DEVCLUSTER_ARGS = (
    "--sticky-context=sticky-devcluster --sticky-app-image=sticky-lab/python:3 "
    "--sticky-redis-image=sticky-lab/redis:7 --sticky-image-pull-policy=Never"
)


@dataclass(frozen=True)
class Plan:
    """How many times each measurement is repeated."""

    rate_rounds: int
    requests_per_round: int
    wrk_seconds: int
    failovers: int
    waits_per_method: int
    overhead_pairs: int
    overhead_header_pairs: int
    suite_runs_per_proxy: int
    load_rounds: int = 5
    rollouts: int = 5


QUICK = Plan(
    rate_rounds=3,
    requests_per_round=1000,
    wrk_seconds=1,
    failovers=5,
    waits_per_method=5,
    overhead_pairs=5,
    overhead_header_pairs=2,
    suite_runs_per_proxy=1,
    load_rounds=3,
    rollouts=2,
)
FULL = Plan(
    rate_rounds=7,
    requests_per_round=1000,
    wrk_seconds=3,
    failovers=15,
    waits_per_method=15,
    overhead_pairs=25,
    overhead_header_pairs=9,
    suite_runs_per_proxy=3,
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (under 3 minutes on 2 cores)")
    parser.add_argument(
        "--output", type=Path, metavar="PATH", default=DEFAULT_OUTPUT, help=f"JSON file (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--proxy",
        default="auto",
        choices=("auto", "haproxy", "caddy"),
        help="local proxy for the rates and failover figures (default auto, as the plugin)",
    )
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        default=None,
        help="a devcluster's kubeconfig: also run the e2e suite there (suite_devcluster_s, failover_k8s_s)",
    )
    parser.add_argument(
        "--k8s-cluster", default="existing", help="--sticky-cluster value for the devcluster run (default existing)"
    )
    parser.add_argument(
        "--k8s-args",
        default=DEVCLUSTER_ARGS,
        help=f"more pytest options for the devcluster run (default: {DEVCLUSTER_ARGS!r}, see .ci/devcluster.d)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown sections {sorted(unknown)}; valid: {', '.join(SECTIONS)}")
    return args


def _section(name: str, run: Callable[[], None]) -> None:
    print(f"benchmarks: {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    run()
    print(f"benchmarks: {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    started = time.perf_counter()
    env = environment.describe()
    out = report.Report(mode="quick" if args.quick else "full")
    section_times: dict[str, float] = {}

    def timed(name: str, run: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        _section(name, run)
        section_times[name] = round(time.perf_counter() - t0, 1)

    def do_rates() -> None:
        r = rates.measure(
            proxy=args.proxy, rounds=plan.rate_rounds, count=plan.requests_per_round, wrk_seconds=plan.wrk_seconds
        )
        out.rows.extend(figures.rate_rows(r))
        out.notes["rates"] = figures.rate_note(r)
        out.details["rates"] = r.to_json()

    def do_failover() -> None:
        f = failover.measure(proxy=args.proxy, repetitions=plan.failovers)
        out.rows.extend(figures.failover_rows(f))
        out.notes["failover_local_s"] = figures.failover_note(f)
        out.details["failover"] = f.to_json()

    def do_waits() -> None:
        m = waits.measure(repetitions=plan.waits_per_method)
        out.rows.extend(figures.wait_rows(m))
        out.notes["wait_latency_ms"] = figures.wait_note(m)
        out.details["waits"] = waits.to_json(m)

    def do_overhead() -> None:
        o = overhead.measure(pairs=plan.overhead_pairs, header_pairs=plan.overhead_header_pairs)
        out.rows.extend(figures.overhead_rows(o))
        out.notes["plugin_overhead_ms"] = figures.overhead_note(o)
        out.details["overhead"] = o.to_json()

    def do_suite() -> None:
        s = suite.measure_local(repetitions=plan.suite_runs_per_proxy)
        out.rows.extend(figures.suite_rows(s))
        out.details["suite"] = s.to_json()

    def do_devcluster() -> None:
        result = None
        reason = ""
        if args.kubeconfig is None:
            reason = "no --kubeconfig given"
        else:
            result = suite.measure_devcluster(
                args.kubeconfig, cluster=args.k8s_cluster, extra_args=shlex.split(args.k8s_args)
            )
            if result.run is not None:
                out.details["devcluster"] = suite.SuiteResults({"devcluster": [result.run]}).to_json()
        rows = figures.devcluster_rows(result, reason)
        out.rows.extend(rows)
        why = reason or (result.reason if result is not None else "")
        if why:
            out.extra_keys["devcluster_skipped"] = why

    def do_k8s_notice() -> None:
        if args.kubeconfig is None:
            out.rows.extend(figures.notice_rows(None, "no --kubeconfig given"))
            return
        n = k8s_notice.measure(args.kubeconfig, repetitions=plan.failovers)
        out.rows.extend(figures.notice_rows(n, ""))
        out.notes["k8s_ready_notice_ms"] = figures.notice_note(n)
        out.details["k8s_notice"] = n.to_json()

    churned = churn.ChurnResults(proxy=args.proxy)

    def do_load() -> None:
        churn.measure_load(proxy=args.proxy, rounds=plan.load_rounds, out=churned)

    def do_rollout() -> None:
        churn.measure_rollout(proxy=args.proxy, repetitions=plan.rollouts, out=churned)

    for name, run in (
        ("rates", do_rates),
        ("failover", do_failover),
        ("waits", do_waits),
        ("overhead", do_overhead),
        ("suite", do_suite),
        ("devcluster", do_devcluster),
        ("k8s_notice", do_k8s_notice),
        ("load", do_load),
        ("rollout", do_rollout),
    ):
        if name in only:
            timed(name, run)
        else:
            out.extra_keys.setdefault("not_measured", []).append(name)
    if churned.load_rps or churned.failed:
        out.rows.extend(churn.rows(churned))
        out.notes["load_and_rollout"] = churn.note(churned)
        out.details["churn"] = churned.to_json()

    env["load_average_at_end"] = environment.load_average()
    run_time = time.perf_counter() - started
    repetitions = {**asdict(plan), "section_seconds": section_times}
    data = report.to_json(out, environment=env, repetitions=repetitions, run_time_s=run_time)
    report.write_json(args.output, data)

    print()
    print(
        f"pytest-sticky benchmarks ({out.mode} mode, {run_time:.0f} s; {env['cpu_model']}, {env['cores']} cores, "
        f"load average {env['load_average_at_start']} at start, {env['load_average_at_end']} at end)"
    )
    print(report.table(out.rows))
    for key, text in out.notes.items():
        print(f"\n{key}: {text}")
    print(f"\nJSON written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
