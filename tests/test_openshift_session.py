"""Login and project handling, through openshift_client's real calls to the fake ``oc``.

Each test asserts the exact ``oc`` command lines openshift_client ran (from the fake's log). The
fake answers as ``oc`` does; its error texts are copied from real ``oc`` and API-server output.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_sticky.errors import ClusterUnavailable, SetupError
from pytest_sticky.kube.namespace import RUN_LABEL
from pytest_sticky.openshift.project import RunProject, rename
from pytest_sticky.openshift.session import Session, login
from tests.fakes.openshift_helpers import FakeOc

pytest.importorskip(
    "openshift_client", reason="the OpenShift provider needs openshift-client: pip install '.[openshift]'"
)


@pytest.fixture
def fake_oc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOc:
    return FakeOc(tmp_path, monkeypatch)


def logged_in(timeout: float = 30) -> Session:
    return login(kubeconfig=None, context=None, timeout=timeout)


# -- login -----------------------------------------------------------------------------------------


def test_without_oc_the_cluster_is_unavailable_and_the_message_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterUnavailable) as raised:
        logged_in()
    message = str(raised.value)
    assert "no oc on PATH" in message
    assert "https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable/" in message
    assert "OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH" in message


def test_an_oc_path_that_is_not_a_program_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH", str(tmp_path / "no-such-oc"))
    with pytest.raises(ClusterUnavailable, match="no-such-oc is not an executable oc: install the OpenShift CLI"):
        logged_in()


def test_not_logged_in_the_cluster_is_unavailable_and_the_message_says_how_to_log_in(fake_oc: FakeOc) -> None:
    fake_oc.set(user="")
    with pytest.raises(ClusterUnavailable) as raised:
        logged_in()
    message = str(raised.value)
    assert "error: You must be logged in to the server (Unauthorized)" in message
    assert "oc login --server=https://api.<cluster>:6443 --token=<token>" in message
    assert fake_oc.argvs() == [["whoami"]]


def test_a_login_is_who_where_and_which_context(fake_oc: FakeOc) -> None:
    session = logged_in()
    assert (session.user, session.server) == ("developer", "https://api.fake.test:6443")
    assert session.context == "default/api-fake-test:6443/developer"
    assert fake_oc.argvs() == [["whoami"], ["whoami", "--show-server"], ["config", "current-context"]]


def test_a_kubeconfig_and_context_given_to_the_run_go_to_every_oc_call(fake_oc: FakeOc, tmp_path: Path) -> None:
    kubeconfig = str(tmp_path / "kubeconfig")
    session = login(kubeconfig=kubeconfig, context="team-a/api-x:6443/dev", timeout=30)
    assert session.context == "team-a/api-x:6443/dev"
    assert fake_oc.argvs() == [
        ["whoami", f"--kubeconfig={kubeconfig}", "--context=team-a/api-x:6443/dev"],
        ["whoami", f"--kubeconfig={kubeconfig}", "--context=team-a/api-x:6443/dev", "--show-server"],
    ]


def test_a_context_openshift_client_would_mangle_is_refused(fake_oc: FakeOc) -> None:
    with pytest.raises(SetupError, match="lower-cases"):
        login(kubeconfig=None, context="Team/API:6443/Dev", timeout=30)
    assert fake_oc.argvs() == []


# -- a project of our own --------------------------------------------------------------------------


def test_the_run_creates_a_project_describes_it_and_labels_its_namespace(fake_oc: FakeOc) -> None:
    project = RunProject(logged_in())
    assert project.owned and project.suffix == ""
    assert project.name == f"sticky-{project.run_id}"
    assert fake_oc.argvs()[3:] == [
        [
            "new-project",
            project.name,
            "--description",
            f"pytest-sticky run {project.run_id}: deleted when the run ends",
            "--display-name",
            f"pytest-sticky {project.run_id}",
            "--skip-config-write",
        ],
        [
            "label",
            f"namespace/{project.name}",
            "--overwrite",
            "app.kubernetes.io/managed-by=pytest-sticky",
            f"{RUN_LABEL}={project.run_id}",
        ],
    ]
    created = fake_oc.state()["projects"][project.name]["metadata"]
    assert created["labels"] == {"app.kubernetes.io/managed-by": "pytest-sticky", RUN_LABEL: project.run_id}
    project.delete(timeout=30)


def test_a_namespace_the_user_may_not_label_is_still_used(fake_oc: FakeOc) -> None:
    fake_oc.set(forbid="patch:namespaces")
    project = RunProject(logged_in())
    assert project.owned
    assert fake_oc.calls()[-1]["rc"] == 1
    assert 'cannot patch resource "namespaces"' in fake_oc.calls()[-1]["stderr"]
    project.delete(timeout=30)


def test_deleting_the_project_waits_until_it_is_gone(fake_oc: FakeOc) -> None:
    fake_oc.set(delete_polls="2")
    project = RunProject(logged_in())
    before = len(fake_oc.calls())
    project.delete(timeout=30)
    assert fake_oc.argvs()[before:] == [
        ["get", "-o=json", f"project/{project.name}"],
        ["delete", "project", project.name, "--ignore-not-found"],
        *[["get", "-o=name", f"namespace/{project.name}"]] * 3,
    ]
    assert fake_oc.calls()[-1]["rc"] == 1 and "(NotFound)" in fake_oc.calls()[-1]["stderr"]
    assert project.name not in fake_oc.state()["projects"]
    project.delete(timeout=30)  # twice is fine
    assert len(fake_oc.calls()) == before + 5


def test_a_project_stuck_terminating_ends_the_wait_at_the_deadline_with_its_state(fake_oc: FakeOc) -> None:
    fake_oc.set(delete_polls="1000")
    project = RunProject(logged_in())
    start = time.monotonic()
    with pytest.raises(SetupError) as raised:
        project.delete(timeout=3)
    assert time.monotonic() - start < 15
    assert f"project {project.name} is still there 3 s after deleting it" in str(raised.value)
    assert "phase Terminating" in str(raised.value)


def test_a_project_that_is_no_longer_ours_is_not_deleted(fake_oc: FakeOc) -> None:
    project = RunProject(logged_in())
    state_file = fake_oc.dir / "state.json"
    state = json.loads(state_file.read_text())
    state["projects"][project.name]["metadata"]["annotations"]["openshift.io/description"] = "production"
    state_file.write_text(json.dumps(state))
    with pytest.raises(SetupError, match=f"not deleting project {project.name}: .*'production'"):
        project.delete(timeout=10)
    assert ["delete", "project", project.name, "--ignore-not-found"] not in fake_oc.argvs()
    project.keep()


# -- no project of our own: the current one ---------------------------------------------------------


def test_when_project_requests_are_forbidden_the_current_project_is_used(fake_oc: FakeOc) -> None:
    fake_oc.set(project_requests="forbid", current_project="team-a")
    project = RunProject(logged_in())
    assert (project.name, project.owned, project.suffix) == ("team-a", False, f"-{project.run_id}")
    assert "You may not request a new project via this API." in project.refused
    assert fake_oc.argvs()[-1] == ["project", "-q"]
    assert not any(argv[0] == "label" for argv in fake_oc.argvs())


def test_in_the_current_project_exactly_the_objects_this_run_created_are_deleted(fake_oc: FakeOc) -> None:
    fake_oc.set(project_requests="forbid", current_project="team-a")
    neighbour = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "redis", "labels": {}}}
    project = RunProject(logged_in())
    state_file = fake_oc.dir / "state.json"
    state = json.loads(state_file.read_text())
    state["objects"]["team-a"] = {"configmap/redis": neighbour}  # someone else's object of the same name
    state_file.write_text(json.dumps(state))

    redis = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "redis", "labels": {"app.kubernetes.io/name": "redis"}},
        "spec": {"selector": {"app.kubernetes.io/name": "redis"}, "ports": [{"port": 6379}]},
    }
    names = project.create([redis], "Redis", rename_them=True)
    suffix = project.suffix
    assert names == [f"service/redis{suffix}"]
    sent = fake_oc.sent("Service")[0]
    assert sent["metadata"]["name"] == f"redis{suffix}"
    assert sent["metadata"]["labels"][RUN_LABEL] == project.run_id
    assert sent["spec"]["selector"] == {"app.kubernetes.io/name": f"redis{suffix}"}

    project.delete(timeout=30)
    assert ["delete", "--namespace=team-a", f"service/redis{suffix}", "--ignore-not-found", "-o=name"] in (
        fake_oc.argvs()
    )
    assert fake_oc.argvs()[-1] == [
        "get",
        "--namespace=team-a",
        "-o=name",
        "pod,service,statefulset.apps,deployment.apps,configmap,route.route.openshift.io",
        f"--selector={RUN_LABEL}={project.run_id}",
    ]
    assert fake_oc.state()["objects"]["team-a"] == {"configmap/redis": neighbour}
    assert not any(argv[:2] == ["delete", "project"] for argv in fake_oc.argvs())


def test_without_a_project_of_its_own_or_a_current_one_the_run_says_what_to_do(fake_oc: FakeOc) -> None:
    fake_oc.set(project_requests="forbid")
    with pytest.raises(SetupError) as raised:
        RunProject(logged_in())
    message = str(raised.value)
    assert "You may not request a new project via this API." in message
    assert "oc project <name>" in message


def test_renaming_follows_the_name_label_into_selectors_and_pod_templates() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "redis", "labels": {"app.kubernetes.io/name": "redis"}},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "redis", "other": "redis"}}},
        },
    }
    renamed = rename(deployment, "-ab12")
    assert renamed["metadata"] == {"name": "redis-ab12", "labels": {"app.kubernetes.io/name": "redis-ab12"}}
    assert renamed["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "redis-ab12"}
    assert renamed["spec"]["template"]["metadata"]["labels"] == {
        "app.kubernetes.io/name": "redis-ab12",
        "other": "redis",
    }
