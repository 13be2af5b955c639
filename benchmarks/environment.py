"""The machine and the tools a run used: CPU, cores, memory, load, versions, date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pytest_sticky.commands import CommandError, run_command

TOOLS: dict[str, Sequence[str]] = {
    "haproxy": ["haproxy", "-v"],
    "caddy": ["caddy", "version"],
    "curl": ["curl", "--version"],
    "wrk": ["wrk", "-v"],  # prints its version, then its usage, and exits 1
    "redis-server": ["redis-server", "--version"],
}
PACKAGES = ("pytest", "requests", "urllib3", "pytest-sticky")


def _first_line(command: Sequence[str]) -> str | None:
    path = shutil.which(command[0])
    if path is None:
        return None
    try:
        done = run_command(command, timeout=20, check=False)
    except CommandError as exc:
        return f"(unknown: {exc.reason})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return f"{lines[0].strip()} [{path}]" if lines else f"(no version output) [{path}]"


def _cpuinfo() -> tuple[str, int]:
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    return (models[0] if models else platform.processor() or "unknown"), len(models)


def _memory_mb() -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict[str, Any]:
    model, processors = _cpuinfo()
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": model,
        "cores": os.cpu_count(),
        "processors_in_cpuinfo": processors,
        "memory_mb": _memory_mb(),
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "tools": {tool: _first_line(command) for tool, command in TOOLS.items()},
        "packages": versions,
        "load_average_at_start": load_average(),
    }
