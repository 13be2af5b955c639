"""Routes through openshift_client's real calls to the fake ``oc``: what is sent, admission, faults."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from pytest_sticky.errors import SetupError
from pytest_sticky.openshift.project import RunProject
from pytest_sticky.openshift.routes import (
    RouteSpec,
    admitted_host,
    read_route,
    render_route,
    route_url,
    wait_admitted,
)
from pytest_sticky.openshift.runner import OcError, permission_hint
from pytest_sticky.openshift.session import login
from tests.fakes.openshift_helpers import FakeOc

# Upstream's names, written here independently of the code's constants (openshift/router
# images/router/haproxy/conf/haproxy-config.template; openshift-docs nw-route-specific-annotations):
# a typo made consistently in the code and the templates fails these tests.
COOKIE_NAME_ANNOTATION = "router.openshift.io/cookie_name"
SAME_SITE_ANNOTATION = "router.openshift.io/cookie-same-site"

pytest.importorskip(
    "openshift_client", reason="the OpenShift provider needs openshift-client: pip install '.[openshift]'"
)

HELLO = RouteSpec(name="hello", service="hello", app="hello", cookie_name="sticky_hello")
EDGE = RouteSpec(name="hello-edge", service="hello", app="hello", termination="edge", same_site="Strict")


@pytest.fixture
def fake_oc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOc:
    return FakeOc(tmp_path, monkeypatch)


@pytest.fixture
def project(fake_oc: FakeOc) -> RunProject:
    return RunProject(login(kubeconfig=None, context=None, timeout=30))


def test_a_route_is_sent_to_oc_create_as_rendered(fake_oc: FakeOc, project: RunProject) -> None:
    before = len(fake_oc.calls())
    names = project.create([render_route(HELLO), render_route(EDGE)], "Routes")
    assert names == ["route.route.openshift.io/hello", "route.route.openshift.io/hello-edge"]
    assert fake_oc.argvs()[before:] == [["create", f"--namespace={project.name}", "-o=name", "-f", "-"]]
    plain, edge = fake_oc.sent("Route")
    assert plain["apiVersion"] == "route.openshift.io/v1"
    assert plain["metadata"]["name"] == "hello"
    assert plain["metadata"]["annotations"] == {COOKIE_NAME_ANNOTATION: "sticky_hello"}
    assert plain["metadata"]["labels"]["pytest-sticky/run"] == project.run_id
    assert "tls" not in plain["spec"]
    assert edge["metadata"]["annotations"] == {SAME_SITE_ANNOTATION: "Strict"}
    assert edge["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert edge["spec"]["to"] == {"kind": "Service", "name": "hello", "weight": 100}


def test_the_route_is_waited_for_until_a_router_admits_it(fake_oc: FakeOc, project: RunProject) -> None:
    fake_oc.set(admit="after:3")
    project.create([render_route(HELLO)], "Route hello")
    before = len(fake_oc.calls())
    host = wait_admitted(project.run, project.name, "hello", timeout=30)
    assert host == f"hello-{project.name}.apps.fake.test"
    reads = fake_oc.argvs()[before:]
    assert reads == [["get", f"--namespace={project.name}", "-o=json", "route/hello"]] * 3
    route = read_route(project.run, project.name, "hello")
    assert route["status"]["ingress"][0]["conditions"][0] == {
        "type": "Admitted",
        "status": "True",
        "lastTransitionTime": route["status"]["ingress"][0]["conditions"][0]["lastTransitionTime"],
    }


def test_a_route_no_router_admits_ends_the_wait_at_the_deadline_with_its_status(
    fake_oc: FakeOc, project: RunProject
) -> None:
    fake_oc.set(admit="never")
    project.create([render_route(HELLO)], "Route hello")
    start = time.monotonic()
    with pytest.raises(SetupError) as raised:
        wait_admitted(project.run, project.name, "hello", timeout=2)
    assert 2 <= time.monotonic() - start < 10
    message = str(raised.value)
    assert f"waiting for Route hello in project {project.name} to be admitted by a router" in message
    # the message reports the time really waited: at least the deadline, more when a slow `oc` overran it
    assert re.search(r"timed out after (2|3|4|5|6|7|8|9)\.\d s", message), message
    assert "Route hello: host hello-" in message and "to Service/hello, tls none" in message
    assert "status.ingress is empty: no router has reported on this Route" in message


def test_a_route_every_router_refused_fails_at_once_with_the_reason(fake_oc: FakeOc, project: RunProject) -> None:
    fake_oc.set(admit="reject")
    project.create([render_route(HELLO)], "Route hello")
    start = time.monotonic()
    with pytest.raises(SetupError) as raised:
        wait_admitted(project.run, project.name, "hello", timeout=60)
    assert time.monotonic() - start < 10
    assert "router default refused it: HostAlreadyClaimed: route other already exposes" in str(raised.value)


def test_without_permission_to_create_routes_the_error_names_the_permission(
    fake_oc: FakeOc, project: RunProject
) -> None:
    fake_oc.set(forbid="create:routes")
    with pytest.raises(OcError) as raised:
        project.create([render_route(HELLO)], "Route hello")
    message = str(raised.value)
    assert f"could not create Route hello in project {project.name}" in message
    assert (
        'routes.route.openshift.io is forbidden: User "developer" cannot create resource "routes" '
        f'in API group "route.openshift.io" in the namespace "{project.name}"'
    ) in message
    assert (
        f"developer cannot create routes.route.openshift.io in project {project.name}: ask for the 'edit' role"
    ) in message
    assert f"oc adm policy add-role-to-user edit developer -n {project.name}" in message
    assert raised.value.forbidden


def test_a_hanging_oc_is_stopped_at_its_deadline(fake_oc: FakeOc, project: RunProject) -> None:
    project.create([render_route(HELLO)], "Route hello")
    fake_oc.set(hang="get")
    start = time.monotonic()
    with pytest.raises(OcError) as raised:
        read_route(project.run, project.name, "hello", timeout=2)
    assert time.monotonic() - start < 10
    assert raised.value.timed_out
    assert "did not finish in time" in str(raised.value)


@pytest.mark.parametrize(
    ("stderr", "hint"),
    [
        (
            'Error from server (Forbidden): pods "hello-0" is forbidden: User "dev" cannot delete resource "pods" '
            'in API group "" in the namespace "team-a"',
            "dev cannot delete pods in project team-a: ask for the 'edit' role",
        ),
        (
            'Error from server (Forbidden): routes.route.openshift.io "x" is forbidden: User "dev" cannot get '
            'resource "routes" in API group "route.openshift.io" in the namespace "team-a"',
            "dev cannot get routes.route.openshift.io in project team-a: ask for the 'view' role",
        ),
        (
            'Error from server (Forbidden): projectrequests.project.openshift.io is forbidden: User "dev" cannot '
            'create resource "projectrequests" in API group "project.openshift.io" at the cluster scope',
            "dev cannot create projectrequests.project.openshift.io at the cluster scope",
        ),
        ("Error from server (Forbidden): You may not request a new project via this API.", ""),
    ],
    ids=["delete pods", "get routes", "cluster scope", "no user named"],
)
def test_a_forbidden_answer_is_turned_into_the_missing_permission(stderr: str, hint: str) -> None:
    assert (hint in permission_hint(stderr, None)) if hint else permission_hint(stderr, None) == ""


def test_the_admitted_host_is_the_first_admitting_routers() -> None:
    route = {
        "status": {
            "ingress": [
                {"host": "a.shard1", "routerName": "shard1", "conditions": [{"type": "Admitted", "status": "False"}]},
                {"host": "a.apps", "routerName": "default", "conditions": [{"type": "Admitted", "status": "True"}]},
            ]
        }
    }
    assert admitted_host(route) == "a.apps"
    assert admitted_host({"status": {}}) is None


@pytest.mark.parametrize(
    ("host", "scheme", "router_url", "expected"),
    [
        ("hello.apps.x", "http", "", ("http://hello.apps.x/", {})),
        ("hello.apps.x", "https", "", ("https://hello.apps.x/", {})),
        ("hello.apps.x", "http", "http://127.0.0.1:8080/", ("http://127.0.0.1:8080/", {"Host": "hello.apps.x"})),
        ("hello.apps.x", "https", "http://127.0.0.1:8080/", ("https://127.0.0.1:8080/", {"Host": "hello.apps.x"})),
        ("hello.apps.x", "https", "http://192.0.2.7/", ("https://192.0.2.7/", {"Host": "hello.apps.x"})),
    ],
)
def test_the_url_goes_to_the_route_host_or_to_the_router_address_given(
    host: str, scheme: str, router_url: str, expected: tuple[str, dict[str, str]]
) -> None:
    assert route_url(host, scheme, router_url) == expected
