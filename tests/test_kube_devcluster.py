"""The existing-cluster provider's faults, on the real Kubernetes 1.20 devcluster."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_sticky.app import AppSpec
from pytest_sticky.errors import SetupError
from pytest_sticky.kube.cluster import KubeCluster
from pytest_sticky.kube.manifests import Images
from pytest_sticky.kube.namespace import RUN_LABEL
from pytest_sticky.waiting import WaitAborted, wait_until
from tests.devcluster import (
    APP_IMAGE,
    CONTEXT,
    REDIS_IMAGE,
    TEST_OBJECT_LABEL,
    cluster_args,
    cluster_scoped_objects,
    owner,
)

LAB_IMAGES = Images(app=APP_IMAGE, redis=REDIS_IMAGE, pull_policy="Never")


def make_cluster(
    kubeconfig: str,
    *,
    images: Images = LAB_IMAGES,
    timeout: float = 90,
    context: str = CONTEXT,
    discover_ingress: bool = False,
) -> KubeCluster:
    return KubeCluster(
        kubeconfig=kubeconfig,
        context=context,
        images=images,
        timeout=timeout,
        keep=False,
        grace_period=1,
        discover_ingress=discover_ingress,
    )


def token_kubeconfig(path: Path, kubeconfig: str, token: str) -> Path:
    """A copy of the devcluster's kubeconfig that authenticates with ``token`` instead."""
    config = yaml.safe_load(Path(kubeconfig).read_text())
    config["users"] = [{"name": "token-user", "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "token-user"
    path.write_text(yaml.safe_dump(config))
    return path


def namespaces_of_run(admin: Any, run_id: str) -> list[str]:
    return [n.metadata.name for n in admin.core.list_namespace(label_selector=f"{RUN_LABEL}={run_id}").items]


def test_bad_credentials_are_a_clear_error(kubeconfig: str, tmp_path: Path) -> None:
    bad = token_kubeconfig(tmp_path / "kc", kubeconfig, "expired-or-wrong-token")
    with pytest.raises(SetupError, match=r"rejected the credentials.*401 Unauthorized.*log in again"):
        make_cluster(str(bad))


def test_a_missing_rbac_permission_names_the_verb_and_resource(kubeconfig: str, admin: Any, tmp_path: Path) -> None:
    account = f"sticky-norights-{os.getpid()}"
    admin.core.create_namespaced_service_account("default", {"metadata": {"name": account}})
    try:
        secret_name = wait_until(
            lambda: (admin.core.read_namespaced_service_account(account, "default").secrets or [None])[0],
            what=f"the token controller to give ServiceAccount {account} a token",
            timeout=30,
        ).name
        token = base64.b64decode(admin.core.read_namespaced_secret(secret_name, "default").data["token"]).decode()
        limited = token_kubeconfig(tmp_path / "kc", kubeconfig, token)
        with pytest.raises(
            SetupError,
            match=r'missing RBAC permission: could not create namespace.*cannot create resource "namespaces"',
        ):
            make_cluster(str(limited))
    finally:
        admin.core.delete_namespaced_service_account(account, "default")


def test_an_image_that_cannot_be_pulled_fails_fast_with_the_reason(kubeconfig: str) -> None:
    cluster = make_cluster(
        kubeconfig, images=Images(app="sticky-lab/not-there:1", redis=REDIS_IMAGE, pull_policy="Never"), timeout=120
    )
    try:
        started = time.monotonic()
        with pytest.raises(SetupError, match=r"ErrImageNeverPull"):
            cluster.deploy_app(AppSpec(name="hello", replicas=1))
        assert time.monotonic() - started < 60, "waited out the deadline instead of failing fast"
    finally:
        cluster.close()


def test_a_namespace_stuck_terminating_is_reported_with_what_holds_it(kubeconfig: str, admin: Any) -> None:
    cluster = make_cluster(kubeconfig, timeout=5)
    namespace = cluster.namespace.name
    admin.core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "held", "finalizers": ["pytest-sticky.test/hold"]}}
    )
    try:
        with pytest.raises(
            SetupError, match=r"(?s)stuck terminating.*configmap/held finalizers=\['pytest-sticky.test/hold'\]"
        ):
            cluster.close()
    finally:
        admin.core.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": None}})
        cluster.namespace.delete(timeout=60)
    assert namespace not in [n.metadata.name for n in admin.core.list_namespace().items]


CTRL_C_SUITE = """
import signal
import time

# What Python installs at start-up, unless it was started with SIGINT ignored (as a background job
# of a non-interactive shell is, e.g. a CI run started with nohup ... &): without it the inner run
# never sees the Ctrl-C this test sends, and sleeps on (the cause of two CI failures).
signal.signal(signal.SIGINT, signal.default_int_handler)


def test_blocks(sticky_app, sticky_cluster):
    with open({marker!r}, "w") as handle:
        handle.write(sticky_cluster.namespace.run_id)
    time.sleep(600)
"""


CTRL_C_TEARDOWN_S = 240


def test_ctrl_c_mid_run_still_removes_the_namespace(kubeconfig: str, admin: Any, tmp_path: Path) -> None:
    marker = tmp_path / "run-id"
    (tmp_path / "test_block.py").write_text(CTRL_C_SUITE.format(marker=str(marker)))
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *cluster_args(kubeconfig), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack
    )
    try:

        def deployed() -> str | None:
            if process.poll() is not None:
                raise WaitAborted(process.communicate()[0])
            return marker.read_text() if marker.exists() and marker.read_text() else None

        run_id = wait_until(deployed, what="the inner run to deploy the app", timeout=180)
        assert namespaces_of_run(admin, run_id), "the run's namespace should exist before Ctrl-C"
        process.send_signal(signal.SIGINT)
        try:
            # Each of the teardown's waits is bounded by --sticky-timeout (60 s); if the bound is
            # ever reached, the failure shows where the run was.
            output, _ = process.communicate(timeout=CTRL_C_TEARDOWN_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            stacks, _ = process.communicate(timeout=30)
            pytest.fail(f"the run had not ended {CTRL_C_TEARDOWN_S} s after Ctrl-C; where it was:\n{stacks}")
    finally:
        if process.poll() is None:
            process.kill()
    assert "KeyboardInterrupt" in output, output
    wait_until(
        lambda: not namespaces_of_run(admin, run_id),
        what=f"the namespace of run {run_id} to be gone after Ctrl-C",
        timeout=90,
        state=lambda: f"still there: {namespaces_of_run(admin, run_id)}",
    )


FAILING_SUITE = """
def test_spread_through_a_clientip_service(assert_spread):
    assert_spread()  # one client IP: kube-proxy pins every request to one pod
"""


def test_a_failing_test_reports_pods_events_and_log_tails(kubeconfig: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *cluster_args(kubeconfig), timeout=300)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- sticky requests: spread -*",
            "*- sticky: pods in sticky-* -*",
            "hello-0: Running, ip *, uid *; *Ready=True*",
            "*- sticky: events in sticky-* -*",
            "*Pod/hello-0 Started: *",
            "*- sticky: log hello-0/app -*",
            "hello: pod=hello-0 server=* store=memory listening on *:8080",
        ],
        consecutive=False,
    )


def test_the_ingress_controller_log_tail_is_a_section_of_its_own(kubeconfig: str) -> None:
    from pytest_sticky.kube.diagnostics import controller_sections
    from pytest_sticky.kube.ingress import IngressRoute

    cluster = make_cluster(kubeconfig)
    try:
        cluster.redis()  # stands in for a controller: a pod in a namespace, found by a label
        route = IngressRoute(
            ingress_class="nginx",
            base_url="http://127.0.0.1:1/",
            product="ingress-nginx",
            controller_namespace=cluster.namespace.name,
            controller_selector="app.kubernetes.io/name=redis",
        )
        sections = controller_sections(cluster.kube.core, route)
    finally:
        cluster.close()
    controller = [title for title in sections if title.startswith("ingress controller log redis-")]
    assert controller, list(sections)
    assert "Ready to accept connections" in sections[controller[0]]


@contextlib.contextmanager
def ingress_classes(admin: Any, *controllers: str) -> Iterator[list[str]]:
    """Default IngressClasses (uniquely named; no controller runs), removed even when the test fails."""
    made: list[str] = []
    try:
        for controller in controllers:
            name = f"sticky-test-{secrets.token_hex(4)}"
            admin.networking.create_ingress_class(
                {
                    "metadata": {
                        "name": name,
                        "labels": {TEST_OBJECT_LABEL: owner()},
                        "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
                    },
                    "spec": {"controller": controller},
                }
            )
            made.append(name)
        yield made
    finally:
        for name in made:
            admin.networking.delete_ingress_class(name)


@pytest.fixture
def default_ingress_class(admin: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A default IngressClass with the controller named by the test's parameter; while it exists no
    other test (of any process using the devcluster) has one, so discovery can only find this one."""
    with cluster_scoped_objects(admin), ingress_classes(admin, request.param) as (name,):
        yield name


@pytest.mark.parametrize("default_ingress_class", ["example.com/unknown-controller"], indirect=True)
def test_an_unknown_ingress_class_leaves_the_app_on_its_service_and_says_why(
    kubeconfig: str, default_ingress_class: str
) -> None:
    cluster = make_cluster(kubeconfig, discover_ingress=True)
    try:
        app = cluster.deploy_app(AppSpec(name="hello", replicas=1))
    finally:
        cluster.close()
    # the Service, by whichever path answered first (kube-proxy may program the ClusterIP before the NodePort)
    assert re.match(r"Service hello (NodePort|ClusterIP) [0-9.]+:[0-9]+ ", app.reached_via), app.reached_via
    assert f"IngressClass {default_ingress_class} (controller example.com/unknown-controller) is not one" in (
        app.reached_via
    )


@pytest.mark.parametrize("default_ingress_class", ["k8s.io/ingress-nginx"], indirect=True)
def test_an_ingress_class_without_a_running_controller_gets_an_ingress_but_the_service_is_used(
    kubeconfig: str, default_ingress_class: str
) -> None:
    cluster = make_cluster(kubeconfig, discover_ingress=True)
    try:
        app = cluster.deploy_app(AppSpec(name="hello", replicas=1))
        ingresses = cluster.kube.networking.list_namespaced_ingress(cluster.namespace.name).items
    finally:
        cluster.close()
    assert [i.spec.ingress_class_name for i in ingresses] == [default_ingress_class]
    assert ingresses[0].metadata.annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert app.reached_via.endswith("was created, but no address was published for it within 30 s"), app.reached_via
    assert app.cookie_name is None and app.url.startswith("http://127.0.0.1:")


def test_several_default_ingress_classes_are_not_guessed_between(kubeconfig: str, admin: Any) -> None:
    with cluster_scoped_objects(admin), ingress_classes(admin, "k8s.io/ingress-nginx", "k8s.io/ingress-nginx") as made:
        cluster = make_cluster(kubeconfig, discover_ingress=True)
        try:
            app = cluster.deploy_app(AppSpec(name="hello", replicas=1))
            ingresses = cluster.kube.networking.list_namespaced_ingress(cluster.namespace.name).items
        finally:
            cluster.close()
    assert ingresses == [], "no Ingress of a guessed class"
    # the Service, by whichever path answered first (kube-proxy may program the ClusterIP before the NodePort)
    assert re.match(r"Service hello (NodePort|ClusterIP) [0-9.]+:[0-9]+ ", app.reached_via), app.reached_via
    assert f"IngressClasses {', '.join(sorted(made))} are all marked default" in app.reached_via, app.reached_via
    assert app.cookie_name is None


def test_the_tests_ingress_classes_are_gone_after_them(admin: Any) -> None:
    """Nothing a test of this process made is left (the cleanup of the ones above ran)."""
    left = admin.networking.list_ingress_class(label_selector=f"{TEST_OBJECT_LABEL}={owner()}").items
    assert [c.metadata.name for c in left] == []
