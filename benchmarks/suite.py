"""The e2e suite's wall time and the pytest process's peak memory, locally and on a devcluster.

The suite runs as a child (``python -m pytest e2e -q -p no:cacheprovider``) from the project's
root. While it runs, the child's ``VmHWM`` (its own peak resident set, not its children's) is
read from /proc every 20 ms; it only grows, so the last value read is the peak. The resident
set of the whole tree (pytest, replicas, proxy, Redis) is sampled too, as information.
The plugin's own evidence file (``--sticky-report PATH.json``) gives the failovers the suite
measured (``recovered_after_s``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary
from pytest_sticky.commands import tail
from pytest_sticky.processes import descendants

ROOT = Path(__file__).resolve().parent.parent
SUITE_TIMEOUT_S = 900.0
POLL_S = 0.02


@dataclass
class SuiteRun:
    wall_s: float
    returncode: int
    peak_rss_mb: float
    """VmHWM of the pytest process."""
    peak_tree_rss_mb: float
    """Largest sum of VmRSS over pytest and its descendants seen at one sample."""
    failovers: list[dict[str, Any]]
    """From the plugin's evidence file: pod, recovered_after_s, replaced_after_s, answered_by, ..."""
    summary_line: str
    output_tail: str

    @property
    def recovered_after_s(self) -> list[float]:
        return [float(f["recovered_after_s"]) for f in self.failovers]


@dataclass
class SuiteResults:
    runs: dict[str, list[SuiteRun]] = field(default_factory=dict)

    def walls(self, key: str) -> list[float]:
        return [r.wall_s for r in self.runs.get(key, [])]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"command": "python -m pytest e2e -q -p no:cacheprovider --sticky-report=TMP.json ..."}
        for key, runs in self.runs.items():
            out[key] = {
                "wall_s": Summary.of([r.wall_s for r in runs]).to_json(2),
                "peak_rss_mb": Summary.of([r.peak_rss_mb for r in runs]).to_json(1),
                "peak_tree_rss_mb": Summary.of([r.peak_tree_rss_mb for r in runs]).to_json(1),
                "returncodes": [r.returncode for r in runs],
                "summary_lines": [r.summary_line for r in runs],
                "failovers": [f for r in runs for f in r.failovers],
                "output_tails_of_failed_runs": [r.output_tail for r in runs if r.returncode != 0],
            }
        return out


def _status_kb(pid: int, field_name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def failovers(evidence: Path) -> list[dict[str, Any]]:
    """Every failover of a passed test in the plugin's JSON evidence file, with the test's id."""
    if not evidence.exists():
        return []
    tests = json.loads(evidence.read_text()).get("tests", {})
    return [
        {"test": test_id, **failover}
        for test_id, test in tests.items()
        if isinstance(test, dict) and test.get("outcome", "passed") == "passed"
        for failover in test.get("failovers", [])
        if isinstance(failover, dict) and "recovered_after_s" in failover
    ]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without STICKY_* settings (the run's own options decide) and pytest's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STICKY_", "PYTEST_"))}
    return {**env, **(extra or {})}


def run_suite(args: list[str], *, env: dict[str, str] | None = None, timeout: float = SUITE_TIMEOUT_S) -> SuiteRun:
    with tempfile.TemporaryDirectory(prefix="sticky-bench-suite-") as tmp:
        evidence = Path(tmp) / "sticky-report.json"
        log = Path(tmp) / "output.txt"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "e2e",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--sticky-report={evidence}",
            *args,
        ]
        with log.open("wb") as out:
            start = time.perf_counter()
            child = subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=clean_env(env)
            )
            peak_kb, tree_kb = 0, 0
            try:
                while child.poll() is None:
                    if time.perf_counter() - start > timeout:
                        raise TimeoutError(f"`{' '.join(command)}` ran longer than {timeout:g} s")
                    peak_kb = max(peak_kb, _status_kb(child.pid, "VmHWM") or 0)
                    tree = [child.pid, *descendants(child.pid)]
                    tree_kb = max(tree_kb, sum(_status_kb(pid, "VmRSS") or 0 for pid in tree))
                    time.sleep(POLL_S)
            finally:
                if child.poll() is None:
                    child.kill()  # by its PID; its own children die with it (PR_SET_PDEATHSIG)
                child.wait()
            wall = time.perf_counter() - start
        output = log.read_text(errors="replace")
        lines = output.strip().splitlines()
        return SuiteRun(
            wall_s=wall,
            returncode=child.returncode,
            peak_rss_mb=peak_kb / 1024,
            peak_tree_rss_mb=tree_kb / 1024,
            failovers=failovers(evidence),
            summary_line=lines[-1] if lines else "",
            output_tail=tail(output, 40),
        )


LOCAL_VARIANTS = {"local": [], "local_caddy": ["--sticky-local-proxy=caddy"]}


def measure_local(*, repetitions: int) -> SuiteResults:
    """The default proxy and Caddy, alternating."""
    results = SuiteResults({key: [] for key in LOCAL_VARIANTS})
    for i in range(repetitions):
        order = list(LOCAL_VARIANTS.items())
        for key, args in order if i % 2 == 0 else reversed(order):
            run = run_suite(args)
            if run.returncode != 0:
                raise RuntimeError(f"the e2e suite failed ({key}, exit {run.returncode}):\n{run.output_tail}")
            results.runs[key].append(run)
    return results


@dataclass
class DevclusterResult:
    run: SuiteRun | None
    """The run, also when it failed (its details are kept)."""
    reason: str
    """Why there is no figure ("" when the run passed and gives them)."""

    @property
    def passed(self) -> SuiteRun | None:
        """The run, if the whole suite passed (a failed suite's wall time is no suite time)."""
        return self.run if not self.reason else None


def measure_devcluster(kubeconfig: Path, *, cluster: str, extra_args: list[str]) -> DevclusterResult:
    if not kubeconfig.is_file():
        return DevclusterResult(None, f"--kubeconfig {kubeconfig}: no such file")
    args = [f"--sticky-cluster={cluster}", f"--sticky-kubeconfig={kubeconfig}", *extra_args]
    run = run_suite(args, env={"KUBECONFIG": str(kubeconfig)})
    if run.returncode != 0:
        return DevclusterResult(
            run, f"`pytest e2e {' '.join(args)}` exited {run.returncode}: {run.summary_line or run.output_tail[-600:]}"
        )
    return DevclusterResult(run, "")
