"""The Kubernetes 1.20 devcluster (.ci/devcluster), for tests that need a real API server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

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


# -- cluster-scoped objects of the tests -------------------------------------------------------------

TEST_OBJECT_LABEL = "pytest-sticky.test/owner"
"""Label of the cluster-scoped objects tests make: ``<host>.<pid>`` of the pytest process."""
CLUSTER_SCOPED_LOCK = Path(tempfile.gettempdir()) / "pytest-sticky-devcluster-cluster-scoped.lock"
"""Held while a test has a cluster-scoped object that the code's discovery reads (an IngressClass):
the devcluster is this machine's, so a file lock serialises every process that uses it."""


def owner() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def owner_is_gone(value: str) -> bool:
    """Whether the pytest process named by a ``TEST_OBJECT_LABEL`` value (on this host) has ended."""
    host, _, pid = value.rpartition(".")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not Path(f"/proc/{pid}").exists()


@contextlib.contextmanager
def cluster_scoped_objects(admin: Any) -> Iterator[None]:
    """Serialise the tests that create IngressClasses, and remove those a killed run left behind
    (labelled with a pytest process of this host that has ended; nothing else is touched)."""
    with FileLock(str(CLUSTER_SCOPED_LOCK), timeout=600):
        for cls in admin.networking.list_ingress_class(label_selector=TEST_OBJECT_LABEL).items:
            if owner_is_gone(cls.metadata.labels[TEST_OBJECT_LABEL]):
                with contextlib.suppress(Exception):
                    admin.networking.delete_ingress_class(cls.metadata.name)
        yield
