"""``--sticky-cluster=openshift`` through the plugin: a machine that cannot use OpenShift is an error.

Asked for explicitly, a cluster that cannot be had must not turn into a green run of skips: the
tests that need it error, naming what is missing, and pytest exits non-zero (in every mode, not
only under ``--sticky-strict``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.openshift_helpers import FakeOc

pytest.importorskip(
    "openshift_client", reason="the OpenShift provider needs openshift-client: pip install '.[openshift]'"
)

TESTS = """
def test_needs_the_cluster(sticky_cluster):
    pass

def test_needs_the_app(sticky_app):
    pass

def test_needs_nothing():
    pass
"""


def test_without_oc_the_cluster_tests_error_saying_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH", raising=False)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--sticky-cluster=openshift", "-rE")
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "pytest-sticky: --sticky-cluster=openshift was asked for but cannot be used: "
            "--sticky-cluster=openshift needs the oc client*mirror.openshift.com*"
        ]
    )


def test_not_logged_in_the_cluster_tests_error_saying_how_to_log_in(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeOc(tmp_path, monkeypatch, user="")
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--sticky-cluster=openshift", "-rE")
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["pytest-sticky: --sticky-cluster=openshift was asked for but cannot be used: `oc whoami` failed*"]
    )
    result.stdout.fnmatch_lines(["*You must be logged in*oc login --server=*--token=*"])
    assert fake.argvs() == [["whoami"]]
