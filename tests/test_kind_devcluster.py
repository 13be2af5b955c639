"""The kind provider against a real API server: the Kubernetes 1.20 devcluster (.ci/devcluster).

kind and Docker cannot run here, so the fake ``kind`` answers ``kind get kubeconfig`` with the
devcluster's kubeconfig (its context renamed ``kind-<name>``, as kind names it). Everything
after that is real: connecting, the run's namespace, loading images (through the fakes),
pods becoming Ready, cleanup. The devcluster has no ingress controller, no DNS and no registry,
so the runs use ``--sticky-ingress=none`` and stop where a controller would be needed; the
pieces of the controller install that can run here (applying manifests, waiting for pods,
the admission-webhook probe against a real webhook call) are tested on their own.

Every test skips, saying how to start it, when the devcluster is not up.
"""

from __future__ import annotations

import json
import secrets
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress_nginx
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.install import apply_objects, wait_pods_ready
from tests.devcluster import APP_IMAGE, REDIS_IMAGE
from tests.fakes.kind_harness import FakeKind, closed_port

NAME = "sticky-test"
LABEL = {"app.kubernetes.io/managed-by": "pytest-sticky-tests"}
INNER = """
import os

def test_on_kind(sticky_cluster):
    with open(os.environ["STICKY_TEST_NS_FILE"], "w") as f:
        f.write(sticky_cluster.namespace.name)
    assert sticky_cluster.name == "kind"
    assert sticky_cluster.kube.context == "kind-sticky-test"
    assert "kind (cluster sticky-test, " in sticky_cluster.description
    assert sticky_cluster.redis().endswith(":6379")
    assert sticky_cluster.client().exec(["python3", "-c", "print(6 * 7)"]).strip() == "42"
"""
ARGS = [
    "--sticky-cluster=kind",
    f"--sticky-cluster-name={NAME}",
    "--sticky-ingress=none",
    f"--sticky-app-image={APP_IMAGE}",
    f"--sticky-redis-image={REDIS_IMAGE}",
    "--sticky-image-pull-policy=Never",
    "--sticky-timeout=90",
]


def namespace_exists(admin: Kube, name: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    try:
        admin.core.read_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


@pytest.fixture
def scratch_namespace(admin: Kube) -> Iterator[str]:
    """A namespace of this test, deleted afterwards."""
    name = f"sticky-kindtest-{secrets.token_hex(3)}"
    admin.core.create_namespace({"metadata": {"name": name, "labels": {**LABEL, "sticky-test/ns": name}}})
    yield name
    admin.core.delete_namespace(name, grace_period_seconds=0)


@pytest.fixture
def plugin_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, kubeconfig: str, admin: Kube
) -> Iterator[tuple[FakeKind, Path]]:
    fake = FakeKind.install(pytester.path / "fake", monkeypatch)
    monkeypatch.setenv("STICKY_FAKE_KUBECONFIG", kubeconfig)
    ns_file = pytester.path / "namespace.txt"
    monkeypatch.setenv("STICKY_TEST_NS_FILE", str(ns_file))
    pytester.makepyfile(INNER)
    yield fake, ns_file
    # the fake `kind delete cluster` cannot delete the devcluster: remove what the run left in it
    if ns_file.exists() and namespace_exists(admin, ns_file.read_text()):
        admin.core.delete_namespace(ns_file.read_text(), grace_period_seconds=0)


def test_a_created_cluster_runs_the_app_pieces_and_is_deleted(
    pytester: pytest.Pytester, plugin_run: tuple[FakeKind, Path]
) -> None:
    fake, _ = plugin_run
    result = pytester.runpytest_subprocess(*ARGS, timeout=300)
    result.assert_outcomes(passed=1)
    commands = fake.commands()
    create = commands[2]
    save_redis, load_redis, save_app, load_app = commands[4:8]
    assert commands[:2] == [["docker", "info"], ["kind", "get", "clusters"]]
    assert create == ["kind", "create", "cluster", "--name", NAME, "--config", create[6], "--wait", "120s"]
    assert commands[3] == ["kind", "get", "kubeconfig", "--name", NAME]
    assert save_redis == ["docker", "save", "-o", save_redis[3], REDIS_IMAGE]
    assert load_redis == ["kind", "load", "image-archive", save_redis[3], "--name", NAME]
    assert save_app == ["docker", "save", "-o", save_app[3], APP_IMAGE]
    assert load_app == ["kind", "load", "image-archive", save_app[3], "--name", NAME]
    assert commands[8:] == [["kind", "delete", "cluster", "--name", NAME]]
    assert list(fake.tmp.iterdir()) == [], "config, kubeconfig and image archives are removed"


def test_a_reused_cluster_is_left_and_only_the_runs_namespace_is_deleted(
    pytester: pytest.Pytester, plugin_run: tuple[FakeKind, Path], admin: Kube
) -> None:
    fake, ns_file = plugin_run
    fake.seed_cluster(NAME)  # made by someone else, without port mappings: fine without an ingress
    result = pytester.runpytest_subprocess(*ARGS, timeout=300)
    result.assert_outcomes(passed=1)
    assert [c for c in fake.commands("kind") if c[1] in ("create", "delete")] == []
    assert NAME in fake.clusters()
    assert not namespace_exists(admin, ns_file.read_text()), "the run's namespace was deleted through the API"


# -- pieces of the controller install, against the real API -----------------------------------------


def test_manifests_are_applied_cluster_scoped_and_namespaced_and_reapplied_without_harm(
    admin: Kube, scratch_namespace: str
) -> None:
    role = f"{scratch_namespace}-reader"
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "namespace": scratch_namespace}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role, "labels": LABEL},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
        },
    ]
    try:
        assert apply_objects(admin, objects) == [f"ConfigMap/{scratch_namespace}/one", f"ClusterRole/{role}"]
        assert apply_objects(admin, objects) == [], "what exists is kept"
        assert admin.core.read_namespaced_config_map("one", scratch_namespace).metadata.name == "one"
        bad = {**objects[0], "metadata": {"name": "Not_A_Name", "namespace": scratch_namespace}}
        with pytest.raises(SetupError, match=r"could not create ConfigMap/.*/Not_A_Name.*422"):
            apply_objects(admin, [bad])
    finally:
        from kubernetes import client

        client.RbacAuthorizationV1Api(admin.api_client).delete_cluster_role(role)


def pod(name: str, namespace: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", "import time; time.sleep(600)"],
                    "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 1},
                }
            ],
        },
    }


def test_waiting_for_a_controller_pod_ends_when_it_is_ready_or_cannot_start(
    admin: Kube, scratch_namespace: str
) -> None:
    apply_objects(
        admin,
        [pod("ready", scratch_namespace, APP_IMAGE), pod("unpullable", scratch_namespace, "sticky-lab/absent:1")],
    )
    assert wait_pods_ready(admin, scratch_namespace, "app=ready", what="the ready pod", timeout=90) == ["ready"]
    with pytest.raises(SetupError, match=r"the stuck pod: pod unpullable: the image is not on the node"):
        wait_pods_ready(admin, scratch_namespace, "app=unpullable", what="the stuck pod", timeout=90)


# -- the admission-webhook probe against real webhook calls --------------------------------------------


class DenyingWebhook:
    """An HTTPS admission webhook on 127.0.0.1 that refuses everything (the API server calls it)."""

    def __init__(self, directory: Path) -> None:
        cert, key = directory / "tls.crt", directory / "tls.key"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        self.ca_bundle = cert.read_bytes()
        self.calls = 0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                webhook.calls += 1
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps(
                    {
                        "apiVersion": "admission.k8s.io/v1",
                        "kind": "AdmissionReview",
                        "response": {
                            "uid": review["request"]["uid"],
                            "allowed": False,
                            "status": {"code": 403, "message": "refused by the test webhook"},
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def webhook_configuration(name: str, namespace: str, port: int, ca_bundle: bytes) -> dict[str, Any]:
    import base64

    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": LABEL},
        "webhooks": [
            {
                "name": "deny.sticky.test",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",  # a dry-run request reaches only such webhooks
                "failurePolicy": "Fail",
                "timeoutSeconds": 5,
                # only this test's namespace: other tests' Ingresses on the devcluster are not affected
                "namespaceSelector": {"matchLabels": {"sticky-test/ns": namespace}},
                "clientConfig": {
                    "url": f"https://127.0.0.1:{port}/validate",
                    "caBundle": base64.b64encode(ca_bundle).decode(),
                },
                "rules": [
                    {
                        "apiGroups": ["networking.k8s.io"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["ingresses"],
                    }
                ],
            }
        ],
    }


def test_the_webhook_probe_tells_a_failed_webhook_call_from_an_answer(
    admin: Kube, scratch_namespace: str, tmp_path: Path
) -> None:
    """As the ingress-nginx wait does: a dry-run Ingress create is 'answered' once the webhook replies."""
    from kubernetes import client

    try:
        webhook = DenyingWebhook(tmp_path)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a TLS certificate with openssl: {exc}")
    api: Any = client.AdmissionregistrationV1Api(admin.api_client)
    name = f"{scratch_namespace}-probe"
    try:
        assert ingress_nginx.probe_webhook(admin, scratch_namespace) is None, "no webhook: the dry-run is admitted"
        api.create_validating_webhook_configuration(
            webhook_configuration(name, scratch_namespace, closed_port(), webhook.ca_bundle)
        )
        from pytest_sticky.waiting import wait_until

        # The API server learns of webhook configurations through an informer: the new one is
        # called from its next sync on (seen once, in a second run in a row, admitted at once).
        failure = wait_until(
            lambda: ingress_nginx.probe_webhook(admin, scratch_namespace),
            what="the API server to call the new webhook",
            timeout=30,
            interval=0.2,
            state=lambda: "the dry-run Ingress was still admitted without calling it",
        )
        assert "failed calling webhook" in failure, failure
        api.patch_validating_webhook_configuration(
            name, webhook_configuration(name, scratch_namespace, webhook.port, webhook.ca_bundle)
        )

        def answered() -> bool:
            return ingress_nginx.probe_webhook(admin, scratch_namespace) is None

        wait_until(answered, what="the patched webhook to be used", timeout=30, interval=0.2)
        assert webhook.calls >= 1, "the API server called the webhook, which denied the request"
        assert not admin.networking.list_namespaced_ingress(scratch_namespace).items, "dry-run: nothing was created"
    finally:
        webhook.close()
        try:
            api.delete_validating_webhook_configuration(name)
        except client.exceptions.ApiException as exc:
            if exc.status != 404:
                raise
