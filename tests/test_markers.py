"""Markers, the report header, and loading the plugin just by installing it."""

from __future__ import annotations

import pytest

import pytest_sticky


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["@pytest.mark.sticky_cluster(*names)*", "@pytest.mark.sticky_redis*"])


def test_strict_markers_accepts_the_plugin_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sticky_cluster("local")
        @pytest.mark.sticky_redis
        def test_marked():
            pass
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_sticky_cluster_marker_skips_naming_the_clusters_it_runs_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sticky_cluster("kind", "openshift")
        def test_elsewhere():
            pass

        @pytest.mark.sticky_cluster("local", "kind")
        def test_here_too():
            pass
        """
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED *runs on --sticky-cluster=kind|openshift; this run uses --sticky-cluster=local"]
    )


def test_report_header_names_cluster_replicas_and_proxy(pytester: pytest.Pytester, proxy: str) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(f"--sticky-local-proxy={proxy}", "--sticky-replicas=4")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"pytest-sticky {pytest_sticky.__version__}: cluster=local*replicas=4*proxy={proxy} (*"]
    )


def test_installing_the_plugin_is_enough(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``-p``, through the ``pytest11`` entry point, in a fresh interpreter."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.delenv("PYTEST_ADDOPTS")
    pytester.makepyfile("def test_fixture(cookie_jar):\n    assert len(cookie_jar) == 0\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pytest-sticky *: cluster=local*proxy=*", "plugins:*sticky-*"])
