"""Driving the kind provider against the fake ``kind``/``docker``/``podman`` beside this file."""

from __future__ import annotations

import json
import socket
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from pytest_sticky.options import StickyConfig
from tests.configs import sticky_config

FAKES = Path(__file__).resolve().parent
TOOLS = ("kind", "docker", "podman")

BASE_CONFIG = sticky_config(cluster="kind", ingress="nginx", cluster_name="sticky-test")


def kind_settings(**changes: Any) -> StickyConfig:
    """A resolved kind configuration, as if the settings in ``changes`` had been given explicitly."""
    return replace(BASE_CONFIG, explicit=frozenset(f"sticky_{name}" for name in changes), **changes)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class FakeKind:
    """A PATH holding only the fakes, their log and state, and a private user cache."""

    bin: Path
    log: Path
    state: Path
    cache: Path
    tmp: Path
    """TMPDIR of the code under test (its kind configs and kubeconfigs go there)."""
    api_port: int
    """Where the fake kubeconfig's API server would be: a closed port."""

    @classmethod
    def install(cls, root: Path, monkeypatch: pytest.MonkeyPatch, tools: tuple[str, ...] = TOOLS) -> FakeKind:
        bin_dir = root / "fakebin"
        bin_dir.mkdir(parents=True)
        for tool in tools:
            wrapper = bin_dir / tool
            # run the fake with this interpreter whatever its file mode and whatever python3 is on PATH
            wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{FAKES / tool}' \"$@\"\n")
            wrapper.chmod(0o755)
        fake = cls(
            bin=bin_dir,
            log=root / "fake-calls.jsonl",
            state=root / "fake-state.json",
            cache=root / "cache",
            tmp=root / "tmp",
            api_port=closed_port(),
        )
        fake.tmp.mkdir()
        monkeypatch.setenv("TMPDIR", str(fake.tmp))
        monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR in this process too
        monkeypatch.setenv("STICKY_FAKE_API_PORT", str(fake.api_port))
        monkeypatch.setenv("PATH", str(bin_dir))
        monkeypatch.setenv("STICKY_FAKE_LOG", str(fake.log))
        monkeypatch.setenv("STICKY_FAKE_STATE", str(fake.state))
        monkeypatch.setenv("XDG_CACHE_HOME", str(fake.cache))
        # never GitHub: should a test reach the pinned kind's download, it meets a closed local port
        monkeypatch.setenv("STICKY_KIND_DOWNLOAD_URL", f"http://127.0.0.1:{closed_port()}/kind-linux-amd64")
        for name in ("KIND_EXPERIMENTAL_PROVIDER", "PYTEST_XDIST_TESTRUNUID", "STICKY_FAKE_KUBECONFIG"):
            monkeypatch.delenv(name, raising=False)
        return fake

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def commands(self, *tools: str) -> list[list[str]]:
        """Each call as ``[tool, *argv]`` (only those of ``tools`` when given)."""
        return [[c["tool"], *c["argv"]] for c in self.calls() if not tools or c["tool"] in tools]

    def created_configs(self) -> list[str]:
        return [c["config"] for c in self.calls() if c["tool"] == "kind" and c["argv"][:2] == ["create", "cluster"]]

    def clusters(self) -> dict[str, Any]:
        if not self.state.exists():
            return {}
        clusters: dict[str, Any] = json.loads(self.state.read_text()).get("clusters", {})
        return clusters

    def seed_cluster(self, name: str, ports: dict[int, int] | None = None, image: str | None = None) -> None:
        """A cluster that exists before the run (someone else made it)."""
        state = json.loads(self.state.read_text()) if self.state.exists() else {"clusters": {}}
        state["clusters"][name] = {
            "ports": {str(k): v for k, v in (ports or {}).items()},
            "api_port": self.api_port,
            "image": image,
        }
        self.state.write_text(json.dumps(state))
