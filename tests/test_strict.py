"""No silent green: a cluster asked for that cannot be had is an error; tests that cannot run for a
missing capability are counted, and fail under ``--sticky-strict``.

The app without cookie affinity is a stand-in (a conftest overrides ``sticky_app``), reached
"through a Service" as on an existing cluster without an ingress; the Redis case uses the real
``local`` cluster with ``redis-server`` left off PATH.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tools import find_tool

SERVICE_APP = """
import pytest


class ServiceApp:
    name = "hello"
    url = "http://127.0.0.1:9/"
    headers = {}
    cookie_name = None
    reached_via = "Service hello NodePort 127.0.0.1:30080 (sessionAffinity ClientIP); no ingress"

    def pods(self):
        return ["hello-0", "hello-1"]


@pytest.fixture(scope="session")
def sticky_app():
    return ServiceApp()
"""

TESTS = """
import pytest


@pytest.mark.sticky_cookie
def test_cookie_attributes():
    raise AssertionError("ran without cookie affinity")


def test_users_own_cookie_assertion(assert_sticky, cookie_jar):
    assert_sticky(cookie_jar)


@pytest.mark.sticky_cluster("openshift")
def test_for_openshift():
    raise AssertionError("ran on the wrong cluster")


def test_plain():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(SERVICE_APP)
    pytester.makepyfile(TESTS)
    return pytester


def test_without_strict_a_missing_capability_is_a_counted_skip(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-rs", "--sticky-report=report.json")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*sticky sessions*",
            "2 not run for a missing capability (skipped; --sticky-strict fails them); "
            "1 for another cluster type (skipped)",
            "  missing capability: test_without_strict_*::test_cookie_attributes: this test (marked sticky_cookie) "
            "needs cookie affinity, but this run reaches hello through Service hello NodePort 127.0.0.1:30080*",
            "  missing capability: test_without_strict_*::test_users_own_cookie_assertion: assert_sticky needs "
            "cookie affinity*",
            "  another cluster type: test_without_strict_*::test_for_openshift: runs on --sticky-cluster=openshift; "
            "this run uses --sticky-cluster=local",
        ]
    )
    report = json.loads((suite.path / "report.json").read_text())
    assert report["not_run_counts"] == {"missing capability": 2, "another cluster type": 1}
    assert report["environment"]["strict"] is False
    entries = {nodeid.split("::")[1]: entry for nodeid, entry in report["not_run"].items()}
    assert entries["test_cookie_attributes"]["kind"] == "missing capability"
    assert entries["test_cookie_attributes"]["outcome"] == "skipped"
    assert entries["test_for_openshift"]["kind"] == "another cluster type"
    assert "test_plain" not in entries


@pytest.mark.parametrize(
    "how", ["--sticky-strict", "ini", "env"], ids=["option", "ini sticky_strict", "env STICKY_STRICT"]
)
def test_strict_fails_a_missing_capability_but_not_a_test_for_another_cluster(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    args = ["-rfEs", "--sticky-report=report.md"]
    if how == "--sticky-strict":
        args.append(how)
    elif how == "ini":
        suite.makeini("[pytest]\nsticky_strict = true\n")
    else:
        monkeypatch.setenv("STICKY_STRICT", "1")
    result = suite.runpytest(*args)
    result.assert_outcomes(passed=1, skipped=1, errors=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "2 not run for a missing capability (failed (--sticky-strict)); 1 for another cluster type (skipped)",
        ]
    )
    result.stdout.fnmatch_lines(["*--sticky-strict: a missing capability fails the run: assert_sticky needs*"])
    markdown = (suite.path / "report.md").read_text()
    assert "**Not run: 2 missing capability, 1 another cluster type**" in markdown
    assert "| `test_strict_" in markdown and "| failed |" in markdown and "| skipped |" in markdown


def test_a_cookie_assertion_through_a_service_says_definitively_why(suite: pytest.Pytester) -> None:
    """Not the negative control's guess ("ClientIP?"): the path, why, and how to get an ingress."""
    result = suite.runpytest("-rs", "-k", "users_own")
    result.assert_outcomes(skipped=1)
    out = result.stdout.str()
    assert "negative control" not in out and "ClientIP?" not in out
    result.stdout.fnmatch_lines(
        [
            "SKIPPED *assert_sticky needs cookie affinity, but this run reaches hello through Service hello NodePort "
            "127.0.0.1:30080 (sessionAffinity ClientIP); no ingress. a Service has no cookie affinity*"
            "--sticky-cluster=kind*--sticky-ingress=nginx|traefik --sticky-ingress-url=URL*"
        ]
    )


def test_a_strict_bad_value_is_a_usage_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STICKY_STRICT", "sometimes")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*env STICKY_STRICT: 'sometimes' is not a boolean; valid values: 1, true*"])


def test_redis_missing_on_local_fails_under_strict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, path_with: Callable[..., str]
) -> None:
    proxy = "haproxy" if find_tool("haproxy") else "caddy"
    monkeypatch.setenv("PATH", path_with(proxy))
    pytester.makepyfile("def test_sessions_in_redis(sticky_app_redis):\n    raise AssertionError('ran')\n")
    result = pytester.runpytest_subprocess("-rE", "--sticky-strict", timeout=60)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*--sticky-strict: a missing capability fails the run: needs a Redis session store: redis-server is not*"]
    )


# -- a cluster asked for that cannot be had ---------------------------------------------------------


NEEDS_THE_CLUSTER = """
def test_needs_the_cluster(sticky_cluster):
    pass
"""


def test_existing_without_a_kubeconfig_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("kubernetes", reason="the existing provider needs the kubernetes package")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    pytester.makepyfile(NEEDS_THE_CLUSTER)
    result = pytester.runpytest_subprocess("--sticky-cluster=existing", timeout=60)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"pytest-sticky: cannot read the kubeconfig KUBECONFIG={tmp_path}/no-such-kubeconfig: "
            "*--sticky-kubeconfig=PATH*"
        ]
    )


def test_kind_without_a_container_engine_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "kind").symlink_to(Path(__file__).parent / "fakes" / "kind")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pytester.makepyfile(NEEDS_THE_CLUSTER)
    result = pytester.runpytest_subprocess("--sticky-cluster=kind", timeout=60)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["pytest-sticky: kind needs a container engine, but docker is not installed*"])
    assert os.environ["PATH"] == str(bin_dir)
