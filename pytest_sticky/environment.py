"""The report header: which cluster, proxy and versions a run uses."""

from __future__ import annotations

import re
import shutil

from pytest_sticky import __version__
from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.options import StickyConfig

VERSION_COMMANDS = {
    "haproxy": ["haproxy", "-v"],
    "caddy": ["caddy", "version"],
    "redis-server": ["redis-server", "--version"],
}


def tool_version(tool: str) -> str | None:
    """First line of the tool's own version output, or None when it is not installed."""
    command = VERSION_COMMANDS[tool]
    if shutil.which(command[0]) is None:
        return None
    try:
        done = run_command(command, timeout=10)
    except CommandError as exc:
        return f"(version unknown: {exc.reason or exc.returncode})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "(no version output)"


def envoy_version(binary: str) -> str:
    """``envoy --version`` says ``envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL``: keep the release."""
    try:
        done = run_command([binary, "--version"], timeout=30)
    except CommandError as exc:
        return f"Envoy (version unknown: {exc.reason or exc.returncode})"
    # the line starts with the binary's own path, which may hold other dotted numbers (python3.11.7/...)
    found = re.search(r"version: [0-9a-f]+/(\d+\.\d+\.\d+)/", done.stdout)
    return f"Envoy {found.group(1)}" if found else "Envoy (version not understood)"


def describe(config: StickyConfig) -> str:
    parts = [f"pytest-sticky {__version__}: cluster={config.cluster}", f"replicas={config.replicas}"]
    if config.cluster == "local":
        from pytest_sticky.errors import MissingTool
        from pytest_sticky.local.proxy import choose_proxy

        try:
            kind, binary = choose_proxy(config.local_proxy)
            parts.append(f"proxy={kind} ({envoy_version(binary) if kind.startswith('envoy') else tool_version(kind)})")
        except MissingTool:
            parts.append(f"proxy={config.local_proxy} (none found: install HAProxy, Caddy or Envoy)")
        parts.append(f"redis={tool_version('redis-server') or 'not installed (Redis tests will skip)'}")
    if config.cluster in ("kind", "existing") and config.ingress in ("nginx", "traefik"):
        parts.append(f"ingress={config.ingress} ({ingress_expectations(config)})")
    if config.keep_cluster:
        parts.append("keep-cluster")
    return ", ".join(parts)


def ingress_expectations(config: StickyConfig) -> str:
    """Which row of the behaviour table the ingress tests expect, before the controller is seen."""
    from pytest_sticky.behaviours import INGRESS_NGINX, TRAEFIK, ingress_behaviour

    if config.ingress == "traefik":
        row = ingress_behaviour(TRAEFIK)
    else:
        row = ingress_behaviour(INGRESS_NGINX, mode=config.affinity_mode)
    where = "the version kind installs" if config.cluster == "kind" else "the newest row; the version is not known"
    return f"expectations of {row.label}, {where}; each app's line says what its affinity cookie showed"
