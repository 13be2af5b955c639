"""The Kubernetes 1.20 devcluster (.ci/devcluster), for tests that need a real API server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "devcluster"
APP_IMAGE = "sticky-lab/python:3"
REDIS_IMAGE = "sticky-lab/redis:7"
CONTEXT = "sticky-devcluster"
HOW = "the Kubernetes 1.20 devcluster is not up: run `.ci/devcluster up` (root on Debian 12; .ci/run does it)"


def devcluster_kubeconfig() -> str:
    """Path of the devcluster's kubeconfig, or a skip that says how to start it."""
    if not SCRIPT.exists():
        pytest.skip(HOW)
    done = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True, timeout=60, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        pytest.skip(HOW)
    return lines[-1]


def cluster_args(kubeconfig: str) -> list[str]:
    """The options that point the suite at the devcluster."""
    return [
        "--sticky-cluster=existing",
        f"--sticky-kubeconfig={kubeconfig}",
        f"--sticky-app-image={APP_IMAGE}",
        f"--sticky-redis-image={REDIS_IMAGE}",
        "--sticky-image-pull-policy=Never",
    ]
