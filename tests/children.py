"""Following the plugin's child processes from outside the pytest run that started them.

The inner run's tests call the ``write_pids`` fixture (from :func:`pid_conftest`), which
writes every child the plugin started (and their own children, e.g. HAProxy's worker) to a
JSON file with each process's start time, so that a PID reused later is not mistaken for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PID_CONFTEST = """
import json
from pathlib import Path

import pytest

from pytest_sticky import processes

PIDS_FILE = Path({path!r})


def _start_time(pid):
    return Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()[19]


@pytest.fixture
def write_pids():
    def write():
        known = json.loads(PIDS_FILE.read_text()) if PIDS_FILE.exists() else {{}}
        for child in processes.running():
            known[str(child.pid)] = {{"name": child.name, "start": _start_time(child.pid)}}
            for pid in processes.descendants(child.pid):
                known[str(pid)] = {{"name": f"{{child.name}} (its child)", "start": _start_time(pid)}}
        partial = PIDS_FILE.with_suffix(".partial")
        partial.write_text(json.dumps(known))
        partial.replace(PIDS_FILE)
        return known

    return write
"""


def pid_conftest(pids_file: Path) -> str:
    """Source of an inner ``conftest.py`` whose ``write_pids`` fixture writes to ``pids_file``."""
    return PID_CONFTEST.format(path=str(pids_file))


def read_pids(pids_file: Path) -> dict[int, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(pids_file.read_text())
    return {int(pid): info for pid, info in data.items()}


def is_running(pid: int, start: str) -> bool:
    """The process that had this PID and start time still exists and is not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    state, started = fields[0], fields[19]
    return started == start and state not in ("Z", "X")


def survivors(pids: dict[int, dict[str, str]]) -> list[str]:
    return [f"{info['name']} (pid {pid})" for pid, info in pids.items() if is_running(pid, info["start"])]


def wait_for(condition: Callable[[], T], *, timeout: float, interval: float = 0.05) -> T:
    """Poll ``condition`` until it is truthy or ``timeout`` seconds passed; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def survivors_after(pids: dict[int, dict[str, str]], *, timeout: float) -> list[str]:
    """The processes still running once they all ended, or ``timeout`` seconds passed."""
    wait_for(lambda: not survivors(pids), timeout=timeout)
    return survivors(pids)


def assert_all_gone(pids: dict[int, dict[str, str]], *, timeout: float, why: str = "") -> None:
    """Assert that every process in ``pids`` ends within ``timeout`` seconds.

    Those that do not are killed (by PID, after checking it is still the same process), so a
    failing test leaves nothing behind.
    """
    left = survivors_after(pids, timeout=timeout)
    for pid, info in pids.items():
        if is_running(pid, info["start"]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running {timeout:g} s after the run ended: {', '.join(left)}" + (
        f"\n{why}" if why else ""
    )
