"""The OpenShift provider end to end: openshift_client -> the fake ``oc`` -> the real devcluster.

The fake ``oc`` hands everything but Routes to ``kubectl`` against the Kubernetes 1.20 devcluster
(projects become namespaces), so the app's pods really start, are listed and are killed through
the Kubernetes client built from the "logged-in" kubeconfig. Routes and their admission are the
fake's (there is no router). Skipped, saying how to start it, when the devcluster is not up.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_sticky.app import AppSpec
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.namespace import RUN_LABEL
from pytest_sticky.openshift.cluster import OpenShiftCluster, make_openshift_cluster
from pytest_sticky.openshift.runner import OcError
from tests.devcluster import CONTEXT
from tests.fakes.openshift_helpers import FakeOc, logged_in_kubeconfig, sticky_config

pytest.importorskip(
    "openshift_client", reason="the OpenShift provider needs openshift-client: pip install '.[openshift]'"
)


@pytest.fixture
def fake_oc(kubeconfig: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOc:
    """The fake ``oc`` "logged in" to the devcluster: its kubeconfig has a current-context."""
    login = logged_in_kubeconfig(kubeconfig, tmp_path / "kubeconfig", CONTEXT)
    monkeypatch.setenv("KUBECONFIG", str(login))
    fake = FakeOc(tmp_path, monkeypatch, kubeconfig=str(login), kubectl="/usr/bin/kubectl")
    return fake


def namespace_exists(admin: Kube, name: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    try:
        admin.core.read_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def run_objects(admin: Kube, namespace: str, run_id: str) -> list[str]:
    selector = f"{RUN_LABEL}={run_id}"
    found = [f"pod/{p.metadata.name}" for p in admin.core.list_namespaced_pod(namespace, label_selector=selector).items]
    found += [
        f"configmap/{c.metadata.name}"
        for c in admin.core.list_namespaced_config_map(namespace, label_selector=selector).items
    ]
    found += [
        f"service/{s.metadata.name}"
        for s in admin.core.list_namespaced_service(namespace, label_selector=selector).items
    ]
    found += [
        f"statefulset/{s.metadata.name}"
        for s in admin.apps.list_namespaced_stateful_set(namespace, label_selector=selector).items
    ]
    return found


def test_the_app_runs_in_a_project_of_its_own_behind_a_route_and_the_project_is_deleted(
    fake_oc: FakeOc, admin: Kube
) -> None:
    cluster = make_openshift_cluster(sticky_config(replicas=2))
    project = cluster.project
    try:
        assert cluster.name == "openshift"
        assert project.owned
        namespace = admin.core.read_namespace(project.name)
        assert project.run_id in namespace.metadata.annotations["openshift.io/description"]
        assert namespace.metadata.labels[RUN_LABEL] == project.run_id

        app = cluster.deploy_app(AppSpec(name="hello", replicas=2))
        assert app.pods() == ["hello-0", "hello-1"]
        assert app.url == f"http://hello-{project.name}.apps.fake.test/"
        assert (app.cookie_name, app.behaviour.implementation) == ("sticky_hello", "openshift-route")
        assert app.reached_via.startswith(f"Route hello (http, host hello-{project.name}.apps.fake.test)")
        sent = [o["kind"] for call in fake_oc.calls() if call["argv"][0] == "create" for o in call["stdin"]["items"]]
        assert sent == ["ConfigMap", "Service", "Service", "StatefulSet", "Route"]
        (route,) = fake_oc.sent("Route")
        assert route["metadata"]["annotations"] == {"router.openshift.io/cookie_name": "sticky_hello"}
        assert route["spec"]["to"]["name"] == "hello"

        old = app.pod_uid("hello-1")  # kill a pod the way kill_serving_pod does
        app.delete_pod("hello-1", grace_period=1)
        assert app.wait_replaced("hello-1", old, timeout=90) != old
        assert app.pods() == ["hello-0", "hello-1"]

        edge = cluster.expose(app, "edge", termination="edge", same_site="Lax")
        assert edge.url == f"https://hello-edge-{project.name}.apps.fake.test/"
        assert (edge.cookie_name, edge.pods()) == ("sticky_hello-edge", app.pods())
        assert cluster.expose(app, "edge", termination="edge", same_site="Lax") is edge
        passthrough = cluster.expose(app, "pass", termination="passthrough")
        assert passthrough.cookie_name is None and "balance source" in passthrough.no_cookie_reason
        assert "Admitted=True" in app.diagnostics()["Route hello"]
        assert app.explain_unreachable() == ""
    finally:
        cluster.close()
    assert not namespace_exists(admin, project.name)
    assert ["delete", "project", project.name, "--ignore-not-found"] in fake_oc.argvs()


@pytest.fixture
def shared_namespace(admin: Kube) -> Iterator[str]:
    """A project the user may use but not replace, with a neighbour's ConfigMap in it."""
    name = f"sticky-shared-{secrets.token_hex(3)}"
    admin.core.create_namespace({"metadata": {"name": name}})
    admin.core.create_namespaced_config_map(name, {"metadata": {"name": "hello-script"}, "data": {"a": "b"}})
    yield name
    admin.core.delete_namespace(name, grace_period_seconds=0)


def test_without_project_requests_the_run_uses_the_current_project_and_deletes_only_its_objects(
    fake_oc: FakeOc, admin: Kube, shared_namespace: str
) -> None:
    fake_oc.set(project_requests="forbid", current_project=shared_namespace)
    cluster: OpenShiftCluster = make_openshift_cluster(sticky_config(replicas=1))
    project = cluster.project
    suffix = f"-{project.run_id}"
    try:
        assert (project.name, project.owned) == (shared_namespace, False)
        assert "current project" in cluster.description
        app = cluster.deploy_app(AppSpec(name="hello", replicas=1, store="redis"))
        assert app.name == f"hello{suffix}"
        assert app.pods() == [f"hello{suffix}-0"]
        assert app.cookie_name == f"sticky_hello{suffix}"
        assert cluster.redis().endswith(":6379")
        objects = run_objects(admin, shared_namespace, project.run_id)
        assert f"service/redis{suffix}" in objects and f"configmap/hello{suffix}-script" in objects
    finally:
        cluster.close()
    assert run_objects(admin, shared_namespace, project.run_id) == []
    assert admin.core.read_namespaced_config_map("hello-script", shared_namespace).data == {"a": "b"}
    assert namespace_exists(admin, shared_namespace)
    assert not any(argv[:2] == ["delete", "project"] for argv in fake_oc.argvs())


def test_without_permission_to_create_routes_the_deployment_fails_naming_it(fake_oc: FakeOc, admin: Kube) -> None:
    fake_oc.set(forbid="create:routes")
    cluster = make_openshift_cluster(sticky_config(replicas=1))
    try:
        with pytest.raises(OcError) as raised:
            cluster.deploy_app(AppSpec(name="hello", replicas=1))
    finally:
        cluster.close()
    assert (
        f"developer cannot create routes.route.openshift.io in project {cluster.project.name}: ask for the 'edit' role"
    ) in str(raised.value)
    assert not namespace_exists(admin, cluster.project.name)


def test_the_plugin_runs_the_app_on_openshift(pytester: pytest.Pytester, fake_oc: FakeOc, admin: Kube) -> None:
    pytester.makepyfile(
        """
        def test_app(sticky_cluster, sticky_app):
            assert sticky_cluster.name == "openshift"
            assert sticky_app.cookie_name == "sticky_hello"
            assert sticky_app.pods() == ["hello-0", "hello-1"]
            assert sticky_app.url.startswith("http://hello-sticky-")
        """
    )
    result = pytester.runpytest(
        "--sticky-cluster=openshift",
        "--sticky-app-image=sticky-lab/python:3",
        "--sticky-image-pull-policy=Never",
        "--sticky-replicas=2",
        "-s",
    )
    result.assert_outcomes(passed=1)
    (project,) = [argv[1] for argv in fake_oc.argvs() if argv[0] == "new-project"]
    assert ["delete", "project", project, "--ignore-not-found"] in fake_oc.argvs()
    assert not namespace_exists(admin, project)
