"""No child process (replica, proxy, Redis, HAProxy's worker) outlives the pytest run that started it:
not after a normal run, not after Ctrl-C, not after pytest itself is killed."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.children import assert_all_gone, pid_conftest, read_pids, wait_for

SUITE = """
import os
import signal
import time

# What Python installs at start-up, unless it was started with SIGINT ignored (as a background
# job of a non-interactive shell is): this run must see Ctrl-C as a terminal's pytest does.
signal.signal(signal.SIGINT, signal.default_int_handler)


def test_memory_app(sticky_app, write_pids):
    assert len(sticky_app.pods()) == 2
    write_pids()


def test_redis_app(sticky_app_redis, write_pids):
    assert len(sticky_app_redis.pods()) == 2
    write_pids()
    {then}
"""
THEN = {
    "finish": "",
    "block": "time.sleep(300)",
    "crash": "os.kill(os.getpid(), signal.SIGKILL)",
}


def expected_children(proxy: str) -> set[str]:
    names = {"hello-0", "hello-1", "hello-redis-0", "hello-redis-1", "redis", f"{proxy}-hello", f"{proxy}-hello-redis"}
    if proxy == "haproxy":  # master-worker: the worker is the master's child
        names |= {"haproxy-hello (its child)", "haproxy-hello-redis (its child)"}
    return names


@pytest.fixture
def inner_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short TMPDIR for the inner run (HAProxy's socket path must stay under 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="sticky-t-"))
    monkeypatch.setenv("TMPDIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def suite(pytester: pytest.Pytester, inner_tmp: Path, request: pytest.FixtureRequest) -> Path:
    """Writes the inner suite; returns the file its children's PIDs will be written to."""
    pids_file = pytester.path / "pids.json"
    pytester.makeconftest(pid_conftest(pids_file))
    pytester.makepyfile(SUITE.format(then=THEN[request.param]))
    return pids_file


def _check_pids(pids_file: Path, proxy: str) -> dict[int, dict[str, str]]:
    pids = read_pids(pids_file)
    assert {info["name"] for info in pids.values()} == expected_children(proxy), pids
    return pids


def _workdirs_left(inner_tmp: Path) -> list[str]:
    return [p.name for p in inner_tmp.glob("pytest-sticky-*")]


@pytest.mark.parametrize("suite", ["finish"], indirect=True)
def test_after_a_run_no_child_is_left(pytester: pytest.Pytester, suite: Path, proxy: str, inner_tmp: Path) -> None:
    result = pytester.runpytest_subprocess(f"--sticky-local-proxy={proxy}", "--sticky-replicas=2", timeout=120)
    result.assert_outcomes(passed=2)
    assert_all_gone(_check_pids(suite, proxy), timeout=5)
    assert _workdirs_left(inner_tmp) == []


def _start(pytester: pytest.Pytester, proxy: str, log: Path) -> subprocess.Popen[bytes]:
    """The inner run in its own process (whose stdout and stderr go to ``log``)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--sticky-replicas=2"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, f"--sticky-local-proxy={proxy}"],
            cwd=pytester.path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _names(pids_file: Path) -> set[str]:
    return {info["name"] for info in read_pids(pids_file).values()} if pids_file.exists() else set()


def _wait_for_pids(process: subprocess.Popen[bytes], pids_file: Path, proxy: str, log: Path) -> None:
    """Until the inner run has written the PIDs of all its children (it then blocks)."""
    wanted = expected_children(proxy)
    wait_for(lambda: _names(pids_file) >= wanted or process.poll() is not None, timeout=60)
    if not _names(pids_file) >= wanted:
        process.kill()
        process.wait()
        pytest.fail(f"the inner run never wrote all its PIDs ({_names(pids_file)}); its output:\n{log.read_text()}")


@pytest.mark.parametrize("suite", ["block"], indirect=True)
def test_ctrl_c_stops_every_child(pytester: pytest.Pytester, suite: Path, proxy: str, inner_tmp: Path) -> None:
    log = pytester.path / "inner.log"
    process = _start(pytester, proxy, log)
    try:
        _wait_for_pids(process, suite, proxy, log)
        process.send_signal(signal.SIGINT)
        try:
            returncode = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"pytest did not exit within 60 s of SIGINT; its output:\n{log.read_text()}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output, output
    assert_all_gone(_check_pids(suite, proxy), timeout=5, why=output)
    assert _workdirs_left(inner_tmp) == [], output


@pytest.mark.parametrize("suite", ["crash"], indirect=True)
def test_children_die_with_a_killed_pytest(pytester: pytest.Pytester, suite: Path, proxy: str) -> None:
    log = pytester.path / "inner.log"
    process = _start(pytester, proxy, log)
    try:
        returncode = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert returncode == -signal.SIGKILL, output
    assert suite.exists(), f"the inner run never wrote its PIDs; its output:\n{output}"
    assert_all_gone(_check_pids(suite, proxy), timeout=10, why="PR_SET_PDEATHSIG did not take them down")
