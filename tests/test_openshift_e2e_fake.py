"""The e2e suite's OpenShift tests, run for real: fake ``oc`` + devcluster pods + a fake router.

``e2e/test_openshift_routes.py`` (and the suite's stickiness, failover and cookie tests) run in
a child pytest with ``--sticky-cluster=openshift``: openshift_client drives the fake ``oc``, the
pods run on the devcluster, and ``tests/fakes/openshift_router.py`` plays the router, reached
through ``--sticky-ingress-url`` with the Route's host in ``Host:`` (no DNS here). What this
verifies is the provider and the tests' own logic against a router that behaves as the
haproxy-config.template says; the real router is not in the loop.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_sticky.kube.connection import Kube
from tests.devcluster import APP_IMAGE, CONTEXT, REDIS_IMAGE, devcluster_kubeconfig
from tests.fakes.openshift_helpers import FakeOc, logged_in_kubeconfig
from tests.fakes.openshift_router import FakeRouter, self_signed_certificate

pytest.importorskip(
    "openshift_client", reason="the OpenShift provider needs openshift-client: pip install '.[openshift]'"
)

ROOT = Path(__file__).resolve().parent.parent
E2E = [
    "e2e/test_openshift_routes.py",
    "e2e/test_stickiness.py",
    "e2e/test_failover.py",
    "e2e/test_cookie_attributes.py",
]
ROUTES = {"hello", "hello-edge", "hello-edge-default", "hello-edge-strict", "hello-edge-lax", "hello-nocookie"}


def test_the_openshift_e2e_tests_pass_through_routes(
    admin: Kube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the fake router's certificate is made with the openssl command, which is not installed")
    login = logged_in_kubeconfig(devcluster_kubeconfig(), tmp_path / "kubeconfig", CONTEXT)
    monkeypatch.setenv("KUBECONFIG", str(login))
    fake = FakeOc(tmp_path, monkeypatch, kubeconfig=str(login), kubectl="/usr/bin/kubectl")
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    with FakeRouter(fake.dir, admin, self_signed_certificate(tmp_path)) as router:
        options = ["--sticky-cluster=openshift", f"--sticky-ingress-url={router.url}", "--sticky-replicas=3"]
        options += [f"--sticky-app-image={APP_IMAGE}", f"--sticky-redis-image={REDIS_IMAGE}"]
        options += ["--sticky-image-pull-policy=Never", "--sticky-timeout=120"]
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *E2E, "-p", "no:cacheprovider", "-q", "-rs", *options],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    output = done.stdout + done.stderr
    (tmp_path / "e2e.log").write_text(output)
    assert done.returncode == 0, f"the whole output is in {tmp_path / 'e2e.log'}\n{output[-8000:]}"
    assert "failed" not in output.splitlines()[-1], output[-8000:]
    assert "a passthrough Route is TCP to the router" in output and "balance source" in output, output[-3000:]
    routes = {route for route, _ in router.served}
    assert {
        "hello",
        "hello-edge",
        "hello-edge-default",
        "hello-edge-strict",
        "hello-edge-lax",
        "hello-nocookie",
    } <= routes, routes
    projects = [argv[1] for argv in fake.argvs() if argv[0] == "new-project"]
    assert len(projects) == 1 and ["delete", "project", projects[0], "--ignore-not-found"] in fake.argvs()
