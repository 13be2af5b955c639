"""The ways in (``pytest_sticky.exposures``) without a cluster: a loopback server plays the controller,
Gateway or router and answers as a pod would; what reaches Kubernetes is recorded or stubbed.

Expected values are written here as a user would see them, not read from the code's constants.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from pytest_sticky.app import AppSpec
from pytest_sticky.exposures.base import Exposed, Target
from pytest_sticky.kube.ingress import IngressRoute


class Answers:
    """What the loopback "controller" sends: the pod's name, and a Set-Cookie when one is given."""

    def __init__(self) -> None:
        self.pod = "hello-0"
        self.set_cookie = ""
        self.hosts: list[str] = []


@pytest.fixture
def controller() -> Iterator[tuple[str, Answers]]:
    answers = Answers()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answers.hosts.append(self.headers.get("Host", ""))
            self.send_response(200)
            self.send_header("X-Pod-Name", answers.pod)
            if answers.set_cookie:
                self.send_header("Set-Cookie", answers.set_cookie)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", answers
    finally:
        server.shutdown()
        server.server_close()


NO_KUBE: Any = None
"""No Kubernetes: these exposures do not call it."""


def fake_target(applied: list[dict[str, Any]]) -> Target:
    return Target(
        kube=NO_KUBE, namespace="run-ns", timeout=5, apply=applied.extend, describe=lambda: "(namespace described)"
    )


def test_an_ingress_exposure_applies_the_affinity_ingress_and_reaches_the_app_by_host(
    controller: tuple[str, Answers],
) -> None:
    from pytest_sticky.exposures.ingress import IngressExposure

    url, answers = controller
    answers.set_cookie = "INGRESSCOOKIE=1700000000.123.456|0123456789abcdef0123456789abcdef; Path=/; HttpOnly"
    applied: list[dict[str, Any]] = []
    exposure = IngressExposure(IngressRoute(ingress_class="nginx", base_url=url))
    exposed = exposure.expose(fake_target(applied), "hello", AppSpec(), ["hello-0", "hello-1"])

    assert [o["kind"] for o in applied] == ["Ingress"]
    annotations = applied[0]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert applied[0]["spec"]["ingressClassName"] == "nginx"
    assert exposed.url == url
    assert exposed.headers == {"Host": "hello.run-ns.sticky.test"}
    assert answers.hosts and set(answers.hosts) == {"hello.run-ns.sticky.test"}
    assert exposed.cookie_name == "INGRESSCOOKIE"
    assert exposed.reached_via.startswith(f"Ingress hello (class nginx, host hello.run-ns.sticky.test) at {url}; ")
    assert exposed.behaviour.implementation == "ingress-nginx-1.15-balanced"
    assert exposed.ingress is not None and exposed.ingress.identified_by.startswith("confirmed: ingress-nginx")


def test_an_ingress_that_answers_with_traefiks_cookie_is_judged_as_traefik(controller: tuple[str, Answers]) -> None:
    from pytest_sticky.exposures.ingress import IngressExposure

    url, answers = controller
    answers.set_cookie = "INGRESSCOOKIE=0123456789abcdef; Path=/; HttpOnly"
    exposure = IngressExposure(IngressRoute(ingress_class="nginx", base_url=url, product="ingress-nginx"))
    exposed = exposure.expose(fake_target([]), "hello", AppSpec(), ["hello-0"])

    assert exposed.behaviour.product == "traefik"
    assert exposure.ingress.product == "traefik", "the cluster's ingress is what answered, not what was configured"
    assert exposure.ingress.identified_by.startswith("not the one configured")


def test_an_ingress_never_routed_to_our_pods_fails_with_who_answered_and_the_namespace(
    controller: tuple[str, Answers],
) -> None:
    from pytest_sticky.errors import SetupError
    from pytest_sticky.exposures.ingress import IngressExposure

    url, answers = controller
    answers.pod = "someone-else-0"
    exposure = IngressExposure(IngressRoute(ingress_class="nginx", base_url=url))
    target = Target(kube=NO_KUBE, namespace="run-ns", timeout=0.5, apply=lambda o: None, describe=lambda: "(described)")
    with pytest.raises(SetupError, match=r"(?s)answered by someone-else-0.*\(described\)"):
        exposure.expose(target, "hello", AppSpec(), ["hello-0"])


def test_an_app_without_affinity_gets_no_cookie_name(controller: tuple[str, Answers]) -> None:
    from pytest_sticky.exposures.ingress import IngressExposure

    url, _ = controller
    exposed = IngressExposure(IngressRoute(ingress_class="nginx", base_url=url)).expose(
        fake_target([]), "plain", AppSpec(name="plain", affinity=False), ["hello-0"]
    )
    assert exposed.cookie_name is None


def test_a_gateway_exposure_names_the_cookie_as_envoy_gateway_does(
    controller: tuple[str, Answers], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_sticky.exposures.gateway import GatewayExposure
    from pytest_sticky.kube import gateway as kube_gateway

    url, _ = controller
    created: list[str] = []

    def expose(kube: Any, route: Any, *, namespace: str, gateway: Any, timeout: float) -> str:
        created.append(f"{namespace}/{route.name}")
        return f"{route.name}.{namespace}.sticky.test"

    monkeypatch.setattr(kube_gateway, "expose", expose)
    ref = kube_gateway.GatewayRef(name="sticky", namespace="gw-ns", base_url=url)
    exposed = GatewayExposure(ref).expose(fake_target([]), "hello", AppSpec(), ["hello-0"])

    assert created == ["run-ns/hello"]
    assert exposed.cookie_name == "httproute-run-ns-hello-rule-0"
    assert exposed.headers == {"Host": "hello.run-ns.sticky.test"}
    assert exposed.behaviour.implementation == "envoy-gateway"
    assert exposed.reached_via == f"HTTPRoute hello (Gateway gw-ns/sticky, host hello.run-ns.sticky.test) at {url}"


class FakeCustomObjects:
    """``kubernetes.client.CustomObjectsApi`` over a dict of objects by (namespace, plural, name)."""

    objects: ClassVar[dict[tuple[str, str, str], dict[str, Any]]] = {}

    def __init__(self, api_client: object) -> None:
        pass

    def get_namespaced_custom_object(self, group: str, version: str, namespace: str, plural: str, name: str) -> Any:
        from kubernetes.client.exceptions import ApiException

        assert (group, version) == ("gateway.networking.k8s.io", "v1")
        try:
            return self.objects[(namespace, plural, name)]
        except KeyError:
            raise ApiException(status=404, reason="Not Found") from None


def test_a_gateway_exposure_reports_the_routes_and_the_gateways_conditions_on_failure(
    controller: tuple[str, Answers], monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    import kubernetes.client

    from pytest_sticky.exposures.gateway import GatewayExposure
    from pytest_sticky.kube import gateway as kube_gateway

    url, _ = controller
    monkeypatch.setattr(kube_gateway, "expose", lambda kube, route, **kw: f"{route.name}.run-ns.sticky.test")
    monkeypatch.setattr(kubernetes.client, "CustomObjectsApi", FakeCustomObjects)
    route_status = {
        "parents": [
            {"parentRef": {"name": "other"}, "conditions": [{"type": "Accepted", "status": "True", "reason": "Ok"}]},
            {
                "parentRef": {"name": "sticky"},
                "conditions": [
                    {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners", "message": "no listener"}
                ],
            },
        ]
    }
    monkeypatch.setattr(FakeCustomObjects, "objects", {("run-ns", "httproutes", "hello"): {"status": route_status}})
    ref = kube_gateway.GatewayRef(name="sticky", namespace="gw-ns", base_url=url)
    kube: Any = SimpleNamespace(api_client=object())
    target = Target(kube=kube, namespace="run-ns", timeout=5, apply=lambda objects: None, describe=lambda: "")
    exposed = GatewayExposure(ref).expose(target, "hello", AppSpec(), ["hello-0"])

    assert exposed.diagnose is not None
    assert exposed.diagnose() == {
        "HTTPRoute run-ns/hello (for Gateway sticky)": "Accepted=False (NotAllowedByListeners: no listener)",
        "Gateway gw-ns/sticky": "could not read it: Not Found",
    }


def test_an_openshift_route_reports_what_the_routers_say_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from pytest_sticky.exposures.openshift_route import RouteExposure
    from pytest_sticky.openshift import routes
    from pytest_sticky.openshift.routes import RouteSpec

    monkeypatch.setattr(routes, "wait_admitted", lambda runner, project, name, timeout: "hello-p.apps.example.test")
    route = {
        "metadata": {"name": "hello"},
        "spec": {"host": "hello-p.apps.example.test", "to": {"kind": "Service", "name": "hello"}},
        "status": {
            "ingress": [
                {
                    "routerName": "default",
                    "host": "hello-p.apps.example.test",
                    "conditions": [
                        {"type": "Admitted", "status": "False", "reason": "HostAlreadyClaimed", "message": "taken"}
                    ],
                }
            ]
        },
    }
    monkeypatch.setattr(routes, "read_route", lambda runner, project, name, timeout=None: route)
    project: Any = SimpleNamespace(run=None, name="p")
    spec = RouteSpec(name="hello", service="hello", app="hello")
    exposed = RouteExposure(project, router_url="", timeout=5).admitted(spec)

    assert exposed.diagnose is not None
    assert exposed.diagnose() == {
        "Route hello": (
            "Route hello: host hello-p.apps.example.test, to Service/hello, tls none\n"
            "router default: host hello-p.apps.example.test\n"
            "  Admitted=False (HostAlreadyClaimed: taken)"
        )
    }


def test_a_discovered_class_of_an_unknown_controller_leaves_the_app_on_its_service_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from pytest_sticky.exposures.discovered import DiscoveredIngressExposure
    from pytest_sticky.kube import service_reach
    from pytest_sticky.kube.ingress import DiscoveredClass

    monkeypatch.setattr(
        service_reach, "reach_service", lambda kube, service, ready, timeout: ("http://10.0.0.9:80/", "Service hello")
    )
    kube: Any = SimpleNamespace(core=SimpleNamespace(read_namespaced_service=lambda name, namespace: object()))
    applied: list[dict[str, Any]] = []
    target = Target(kube=kube, namespace="run-ns", timeout=5, apply=applied.extend, describe=lambda: "")
    found = DiscoveredClass("cilium", "io.cilium/ingress-controller")
    exposed = DiscoveredIngressExposure(found, "balanced").expose(target, "hello", AppSpec(), ["hello-0"])

    assert applied == [], "no Ingress is made for a controller pytest-sticky does not know"
    assert exposed.url == "http://10.0.0.9:80/"
    assert exposed.cookie_name is None
    assert exposed.behaviour.implementation == "service-clientip"
    assert exposed.reached_via == (
        "Service hello; IngressClass cilium (controller io.cilium/ingress-controller) is not one pytest-sticky "
        "knows: name the controller with --sticky-ingress and --sticky-ingress-url"
    )


def test_an_openshift_route_is_reached_by_its_admitted_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from pytest_sticky.exposures.openshift_route import RouteExposure
    from pytest_sticky.openshift import routes
    from pytest_sticky.openshift.routes import RouteSpec

    monkeypatch.setattr(routes, "wait_admitted", lambda runner, project, name, timeout: "hello-p.apps.example.test")
    project: Any = SimpleNamespace(run=None, name="p")
    spec = RouteSpec(name="hello", service="hello", app="hello", cookie_name="sticky_hello")
    exposed = RouteExposure(project, router_url="http://192.0.2.10/", timeout=5).admitted(spec)

    assert exposed.host == "hello-p.apps.example.test"
    assert exposed.url == "http://192.0.2.10/"
    assert exposed.headers == {"Host": "hello-p.apps.example.test"}
    assert exposed.cookie_name == "sticky_hello"
    assert exposed.behaviour.implementation == "openshift-route"
    assert exposed.reached_via == (
        "Route hello (http, host hello-p.apps.example.test) through the OpenShift router at http://192.0.2.10/"
    )


def test_every_way_in_returns_the_same_shape() -> None:
    """Exposed is one value: a test or report never asks which exposure made it."""
    from dataclasses import fields

    assert [f.name for f in fields(Exposed)] == [
        "url",
        "reached_via",
        "behaviour",
        "cookie_name",
        "headers",
        "ingress",
        "host",
        "diagnose",
    ]
