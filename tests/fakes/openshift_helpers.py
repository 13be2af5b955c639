"""Driving the OpenShift provider against the fake ``oc`` beside this file, and reading its log."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_sticky.options import StickyConfig
from tests.configs import sticky_config as _sticky_config

FAKE_OC = Path(__file__).resolve().parent / "oc"

BASE_CONFIG = _sticky_config(cluster="openshift", timeout=90, image_pull_policy="Never")


def sticky_config(**changes: Any) -> StickyConfig:
    return replace(BASE_CONFIG, **changes)


class FakeOc:
    """The fake ``oc`` set up for one test: its settings, its log and its state."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
        self.dir = tmp_path / "fake-oc"
        self.dir.mkdir()
        self.log = self.dir / "calls.jsonl"
        self.monkeypatch = monkeypatch
        # run the fake with this interpreter, whatever python3 is on PATH (a pyenv shim is a bash script, and
        # openshift_client sets a locale this machine may lack: bash's warnings would land in the output)
        wrapper = self.dir / "oc"
        wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{FAKE_OC}' \"$@\"\n")
        wrapper.chmod(0o755)
        monkeypatch.setenv("OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH", str(wrapper))
        monkeypatch.setenv("FAKE_OC_LOG", str(self.log))
        monkeypatch.setenv("FAKE_OC_STATE", str(self.dir))
        for name in ("FAKE_OC_KUBECONFIG", "FAKE_OC_CURRENT_PROJECT", "FAKE_OC_FORBID", "FAKE_OC_ADMIT"):
            monkeypatch.delenv(name, raising=False)
        self.set(**{"user": "developer", **settings})

    def set(self, **settings: str) -> None:
        """``set(user="", admit="never")`` -> FAKE_OC_USER="", FAKE_OC_ADMIT=never."""
        for key, value in settings.items():
            self.monkeypatch.setenv(f"FAKE_OC_{key.upper()}", value)

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]

    def sent(self, kind: str) -> list[dict[str, Any]]:
        """The objects of ``kind`` sent to ``oc create`` on stdin, in order."""
        items = []
        for call in self.calls():
            if call["argv"][:1] == ["create"] and isinstance(call["stdin"], dict):
                items += [item for item in call["stdin"]["items"] if item["kind"] == kind]
        return items

    def state(self) -> dict[str, Any]:
        path = self.dir / "state.json"
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run the fake as a test would run oc (for setting up state)."""
        return subprocess.run([str(self.dir / "oc"), *argv], capture_output=True, text=True, check=False)


def logged_in_kubeconfig(devcluster_kubeconfig: str, path: Path, context: str) -> Path:
    """A copy of the devcluster's kubeconfig whose current-context is set, as `oc login` leaves it."""
    config = yaml.safe_load(Path(devcluster_kubeconfig).read_text())
    config["current-context"] = context
    path.write_text(yaml.safe_dump(config))
    return path
