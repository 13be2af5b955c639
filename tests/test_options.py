"""Each setting from the command line, the ini file and the environment; precedence; usage errors."""

from __future__ import annotations

import pytest

OPTIONS_TEST = """
def test_config(sticky_config):
    assert getattr(sticky_config, {attr!r}) == {expected!r}, sticky_config
    assert {name!r} in sticky_config.explicit, sticky_config
"""

# (setting, StickyConfig attribute, value given, value expected); none of them is the default
# except the cluster, which only has one implemented value: `explicit` shows it was read.
SETTINGS = [
    ("sticky_cluster", "cluster", "local", "local"),
    ("sticky_replicas", "replicas", "2", 2),
    ("sticky_keep_cluster", "keep_cluster", "true", True),
    ("sticky_strict", "strict", "true", True),
    ("sticky_local_proxy", "local_proxy", "caddy", "caddy"),
    ("sticky_app_command", "app_command", "my-app --port {port}", "my-app --port {port}"),
    ("sticky_timeout", "timeout", "7.5", 7.5),
]


def _cli(name: str, value: str) -> str:
    option = "--" + name.replace("_", "-")
    return option if name in ("sticky_keep_cluster", "sticky_strict") else f"{option}={value}"


@pytest.mark.parametrize("source", ["command line", "ini", "env"])
@pytest.mark.parametrize(("name", "attr", "given", "expected"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_each_setting_is_read_from_each_source(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    name: str,
    attr: str,
    given: str,
    expected: object,
) -> None:
    pytester.makepyfile(OPTIONS_TEST.format(attr=attr, expected=expected, name=name))
    args: list[str] = []
    if source == "command line":
        args.append(_cli(name, given))
    elif source == "ini":
        pytester.makeini(f"[pytest]\n{name} = {given}\n")
    else:
        monkeypatch.setenv(name.upper(), given)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("cli", "ini", "env", "expected"),
    [
        ("2", "3", "4", 2),
        (None, "3", "4", 3),
        (None, None, "4", 4),
        (None, None, None, 3),
    ],
    ids=["command line beats ini and env", "ini beats env", "env", "default"],
)
def test_command_line_beats_ini_beats_environment(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    cli: str | None,
    ini: str | None,
    env: str | None,
    expected: int,
) -> None:
    pytester.makepyfile(f"def test_replicas(sticky_config):\n    assert sticky_config.replicas == {expected}\n")
    if ini is not None:
        pytester.makeini(f"[pytest]\nsticky_replicas = {ini}\n")
    if env is not None:
        monkeypatch.setenv("STICKY_REPLICAS", env)
    result = pytester.runpytest(*([f"--sticky-replicas={cli}"] if cli is not None else []))
    result.assert_outcomes(passed=1)


def test_a_bad_value_in_a_source_that_lost_is_not_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_ok(sticky_config):\n    assert sticky_config.local_proxy == 'haproxy'\n")
    pytester.makeini("[pytest]\nsticky_local_proxy = haproxy\n")
    monkeypatch.setenv("STICKY_LOCAL_PROXY", "nginx")
    pytester.runpytest().assert_outcomes(passed=1)


def _assert_usage_error(result: pytest.RunResult, *fragments: str) -> None:
    output = result.stdout.str() + "\n" + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} missing from:\n{output}"
    assert "Traceback" not in output, output
    assert "INTERNALERROR" not in output, output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--sticky-cluster=nope"], ["'nope'", "local, kind, existing, openshift"]),
        (["--sticky-local-proxy=nginx"], ["'nginx'", "auto, haproxy, caddy, envoy, envoy-ring-hash"]),
        (["--sticky-replicas=0"], ["--sticky-replicas", "at least 1"]),
        (["--sticky-replicas=x"], ["--sticky-replicas", "'x'", "at least 1"]),
        (["--sticky-timeout=soon"], ["--sticky-timeout", "'soon'", "at least 1"]),
    ],
    ids=["cluster nope", "proxy nginx", "replicas 0", "replicas x", "timeout soon"],
)
def test_unknown_values_are_usage_errors_naming_the_valid_ones(
    pytester: pytest.Pytester, args: list[str], fragments: list[str]
) -> None:
    pytester.makepyfile("def test_never_runs(): pass")
    _assert_usage_error(pytester.runpytest(*args), *fragments)


def test_a_bad_value_names_the_ini_key_or_variable_it_came_from(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_never_runs(): pass")
    pytester.makeini("[pytest]\nsticky_cluster = nope\n")
    _assert_usage_error(pytester.runpytest(), "ini sticky_cluster", "'nope'", "local, kind, existing, openshift")

    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("STICKY_KEEP_CLUSTER", "maybe")
    _assert_usage_error(pytester.runpytest(), "env STICKY_KEEP_CLUSTER", "'maybe'", "true")


@pytest.mark.parametrize(
    ("args", "env", "fragments"),
    [
        (["--sticky-cluster=kind", "--sticky-local-proxy=caddy"], {}, ["--sticky-local-proxy", "only applies"]),
        (["--sticky-cluster=openshift", "--sticky-app-command=my-app"], {}, ["--sticky-app-command", "only applies"]),
        ([], {"STICKY_CLUSTER": "existing", "STICKY_LOCAL_PROXY": "haproxy"}, ["env STICKY_LOCAL_PROXY", "existing"]),
    ],
    ids=["proxy with kind", "app command with openshift", "both from env"],
)
def test_local_only_settings_with_another_cluster_are_usage_errors(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    fragments: list[str],
) -> None:
    pytester.makepyfile("def test_never_runs(): pass")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _assert_usage_error(pytester.runpytest(*args), *fragments, "--sticky-cluster=local")


def test_a_usage_error_in_a_real_process_prints_no_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_never_runs(): pass")
    result = pytester.runpytest_subprocess("--sticky-cluster=nope", timeout=60)
    _assert_usage_error(result, "--sticky-cluster", "valid values: local, kind, existing, openshift")
