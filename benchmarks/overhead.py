"""What loading the plugin adds to a pytest run that does not use it.

``pytest --collect-only -q`` over 20 trivial tests in a temporary directory, with the plugin
loaded and with ``-p no:sticky``, alternating; the overhead is the median of the per-pair
differences (each pair run back to back, so both see the same machine state).
"""

from __future__ import annotations

import os
import re
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary
from pytest_sticky.commands import run_command

TESTS = 20


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    """User + system CPU time of the pytest process."""


@dataclass
class OverheadResults:
    loaded: list[Run] = field(default_factory=list)
    disabled: list[Run] = field(default_factory=list)
    import_ms: list[float] = field(default_factory=list)
    header_differences_ms: list[float] = field(default_factory=list)
    """The same pairs without -q: pytest then builds the report header (the plugin adds a line)."""
    header_hook_ms: list[float] = field(default_factory=list)
    """The plugin's pytest_report_header alone, timed in the run."""

    @property
    def loaded_s(self) -> list[float]:
        return [r.wall_s for r in self.loaded]

    @property
    def disabled_s(self) -> list[float]:
        return [r.wall_s for r in self.disabled]

    @property
    def differences_ms(self) -> list[float]:
        return [(a.wall_s - b.wall_s) * 1000 for a, b in zip(self.loaded, self.disabled, strict=True)]

    @property
    def min_difference_ms(self) -> float:
        """The least disturbed run of each kind, compared: robust to load bursts of other processes."""
        return (min(self.loaded_s) - min(self.disabled_s)) * 1000

    @property
    def cpu_differences_ms(self) -> list[float]:
        return [(a.cpu_s - b.cpu_s) * 1000 for a, b in zip(self.loaded, self.disabled, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {
            "command": f"pytest --collect-only -q -p no:cacheprovider [-p no:sticky] ({TESTS} trivial tests)",
            "pairs": len(self.loaded_s),
            "loaded_s": Summary.of(self.loaded_s).to_json(),
            "disabled_s": Summary.of(self.disabled_s).to_json(),
            "difference_ms": {
                **Summary.of(self.differences_ms).to_json(1),
                "samples": [round(d, 1) for d in self.differences_ms],
            },
            "min_difference_ms": round(self.min_difference_ms, 1),
            "cpu_difference_ms": Summary.of(self.cpu_differences_ms).to_json(1),
            "plugin_import_ms": Summary.of(self.import_ms).to_json(1),
            "plugin_import": "python -X importtime: cumulative import of pytest_sticky.plugin after pytest",
            "header_difference_ms": {
                **Summary.of(self.header_differences_ms).to_json(1),
                "command": "pytest --collect-only -p no:cacheprovider [-p no:sticky] (no -q: with the header)",
            },
            "header_hook_ms": {
                **Summary.of(self.header_hook_ms).to_json(1),
                "what": "one call of the plugin's pytest_report_header (runs `haproxy -v`, `redis-server --version`)",
            },
            "difference_of_medians_ms": round(
                (Summary.of(self.loaded_s).median - Summary.of(self.disabled_s).median) * 1000, 1
            ),
        }


HEADER_OUT = "BENCH_HEADER_OUT"
CONFTEST = f'''"""Times the sticky plugin's own report-header hook once, when ${HEADER_OUT} names a file."""

import os
import time


def pytest_sessionfinish(session):
    target = os.environ.get("{HEADER_OUT}")
    manager = session.config.pluginmanager
    plugin = manager.get_plugin("sticky")
    if not target or plugin is None:
        return
    others = [p for p in manager.get_plugins() if p is not plugin]
    hook = manager.subset_hook_caller("pytest_report_header", remove_plugins=others)
    start = time.perf_counter()
    hook(config=session.config, start_path=session.config.rootpath)
    with open(target, "w") as out:
        out.write(repr(time.perf_counter() - start))
'''


def write_suite(directory: Path, tests: int = TESTS) -> None:
    (directory / "pytest.ini").write_text("[pytest]\n")  # its own rootdir: no project's config
    (directory / "conftest.py").write_text(CONFTEST)
    for i in range(tests):
        (directory / f"test_trivial_{i}.py").write_text(f"def test_{i}() -> None:\n    assert {i} == {i}\n")


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _collect(directory: Path, *extra: str, quiet: bool = True) -> Run:
    flags = ["-q"] if quiet else []
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        *flags,
        "-p",
        "no:cacheprovider",
        *extra,
        str(directory),
    ]
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": ""}
    cpu = _cpu_of_children()
    start = time.perf_counter()
    done = run_command(command, timeout=120, env=env)
    elapsed = time.perf_counter() - start
    if f"{TESTS} tests collected" not in done.stdout and f"collected {TESTS} items" not in done.stdout:
        raise RuntimeError(f"unexpected collection output:\n{done.stdout[-500:]}")
    return Run(elapsed, _cpu_of_children() - cpu)


def header_hook_ms(directory: Path) -> float:
    """One call of the plugin's pytest_report_header, timed inside a pytest run (conftest above)."""
    out = directory / "header-time.txt"
    run_command(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(directory)],
        timeout=120,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": "", HEADER_OUT: str(out)},
    )
    seconds = float(out.read_text())
    out.unlink()
    return seconds * 1000


def import_ms() -> float:
    """Cumulative import time of the plugin module once pytest is imported (-X importtime)."""
    done = run_command([sys.executable, "-X", "importtime", "-c", "import pytest; import pytest_sticky.plugin"])
    match = re.search(r"^import time:\s*\d+ \|\s*(\d+) \| pytest_sticky\.plugin$", done.stderr, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no import time for pytest_sticky.plugin in:\n{done.stderr[-2000:]}")
    return int(match.group(1)) / 1000


def _pair(directory: Path, i: int, *, quiet: bool = True) -> tuple[Run, Run]:
    """(loaded, disabled), run back to back, the first of them alternating."""
    if i % 2 == 0:
        loaded = _collect(directory, quiet=quiet)
        return loaded, _collect(directory, "-p", "no:sticky", quiet=quiet)
    disabled = _collect(directory, "-p", "no:sticky", quiet=quiet)
    return _collect(directory, quiet=quiet), disabled


def measure(*, pairs: int, header_pairs: int) -> OverheadResults:
    results = OverheadResults()
    with tempfile.TemporaryDirectory(prefix="sticky-bench-collect-") as tmp:
        directory = Path(tmp)
        write_suite(directory)
        cwd = os.getcwd()
        os.chdir(directory)
        try:
            _collect(directory)  # warm the file cache and the bytecode of both variants
            _collect(directory, "-p", "no:sticky")
            for i in range(max(pairs, header_pairs)):
                if i < pairs:
                    loaded, disabled = _pair(directory, i)
                    results.loaded.append(loaded)
                    results.disabled.append(disabled)
                    results.import_ms.append(import_ms())
                if i < header_pairs:
                    loaded, disabled = _pair(directory, i, quiet=False)
                    results.header_differences_ms.append((loaded.wall_s - disabled.wall_s) * 1000)
                    results.header_hook_ms.append(header_hook_ms(directory))
        finally:
            os.chdir(cwd)
    return results
