"""``--sticky-cluster=openshift`` through the plugin: a machine that cannot use OpenShift skips."""

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


def test_without_oc_the_cluster_tests_are_skipped_saying_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH", raising=False)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--sticky-cluster=openshift", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1] *pytest-sticky: --sticky-cluster=openshift needs the oc client*mirror.openshift.com*"] * 2
    )


def test_not_logged_in_the_cluster_tests_are_skipped_saying_how_to_log_in(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeOc(tmp_path, monkeypatch, user="")
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--sticky-cluster=openshift", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED [[]1] *You must be logged in*oc login --server=*--token=*"] * 2)
    assert fake.argvs() == [["whoami"]]
