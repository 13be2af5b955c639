"""Reaching apps through a Gateway API Gateway: HTTPRoutes with sessionPersistence, and their status.

Used by ``--sticky-ingress=gateway``: on kind after Envoy Gateway is installed
(``kind/envoy_gateway.py``), on an existing cluster when its HTTPRoute CRD serves
``sessionPersistence`` (experimental channel) and a Gateway is named or found. Each app gets an
HTTPRoute routed by host (``<app>.<namespace>.sticky.test``), in the sessionPersistence shape the
installed CRD serves (``gateway/httproute.py``). Waits are watches with deadlines: GatewayClass
``Accepted``, Gateway ``Programmed``, HTTPRoute ``Accepted`` and ``ResolvedRefs`` for our Gateway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pytest_sticky import progress
from pytest_sticky.errors import SetupError
from pytest_sticky.gateway.httproute import Schema, served_schema
from pytest_sticky.waiting import WaitAborted, WaitTimeout

if TYPE_CHECKING:
    from pytest_sticky.kube.connection import Kube

GROUP = "gateway.networking.k8s.io"
VERSION = "v1"
HTTPROUTE_CRD = f"httproutes.{GROUP}"
PLURALS = {
    "GatewayClass": "gatewayclasses",
    "Gateway": "gateways",
    "HTTPRoute": "httproutes",
    "EnvoyProxy": "envoyproxies",
}


@dataclass(frozen=True)
class GatewayRef:
    """A Gateway the tests reach the app through: the HTTPRoute's parentRef, and its URL."""

    name: str
    namespace: str
    base_url: str
    """Where the Gateway's listener is reached from the tests, e.g. ``http://127.0.0.1:8080/``."""
    implementation: str = "envoy-gateway"
    """Key of its rows in ``behaviours.BEHAVIOURS`` / ``SESSION_PERSISTENCE``."""


def httproute_schema(kube: Kube) -> Schema:
    """The sessionPersistence shape the cluster's HTTPRoute CRD serves; SetupError when it has none."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        crd = client.ApiextensionsV1Api(kube.api_client).read_custom_resource_definition(HTTPROUTE_CRD)
    except ApiException as exc:
        if exc.status == 404:
            raise SetupError(
                "the cluster has no Gateway API HTTPRoute CRD: install the Gateway API CRDs (experimental channel, "
                "v1.6.1: https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/experimental-install.yaml)"
            ) from None
        raise
    try:
        return served_schema(kube.api_client.sanitize_for_serialization(crd))
    except ValueError as exc:
        raise SetupError(f"{HTTPROUTE_CRD}: {exc}") from None


def conditions(obj: dict[str, Any], parent: str | None = None) -> dict[str, dict[str, Any]]:
    """Conditions by type: of the object, or (HTTPRoute) of its status for the parent Gateway ``parent``."""
    status = obj.get("status") or {}
    if parent is None:
        found = status.get("conditions") or []
    else:
        found = []
        for entry in status.get("parents") or []:
            if (entry.get("parentRef") or {}).get("name") == parent:
                found = entry.get("conditions") or []
    return {c["type"]: c for c in found}


def condition_check(
    name: str, wanted: tuple[str, ...], parent: str | None = None
) -> Callable[[dict[str, dict[str, Any]]], bool | None]:
    """True once ``name`` has every ``wanted`` condition True for the current generation; False ones end the wait."""

    def check(objects: dict[str, dict[str, Any]]) -> bool | None:
        obj = objects.get(name)
        if obj is None:
            return None
        found = conditions(obj, parent)
        generation = obj.get("metadata", {}).get("generation")
        for kind in wanted:
            condition = found.get(kind)
            if condition is None or condition.get("observedGeneration", generation) != generation:
                return None
            if condition.get("status") == "False" and condition.get("reason") not in ("Pending", "NotReconciled"):
                raise WaitAborted(f"{kind}=False ({condition.get('reason')}): {condition.get('message')}")
            if condition.get("status") != "True":
                return None
        return True

    return check


def describe_conditions(obj: dict[str, Any] | None, parent: str | None = None) -> str:
    if obj is None:
        return "not found"
    found = conditions(obj, parent)
    if not found:
        return "no conditions yet (is a Gateway API controller running?)"
    return "; ".join(f"{t}={c.get('status')} ({c.get('reason')}: {c.get('message')})" for t, c in found.items())


def watch_custom(
    kube: Kube,
    plural: str,
    check: Callable[[dict[str, dict[str, Any]]], bool | None],
    *,
    what: str,
    timeout: float,
    namespace: str | None = None,
) -> None:
    """Watch Gateway API objects ``plural`` (in ``namespace``, or cluster-wide) until ``check`` holds."""
    from kubernetes import client, watch
    from kubernetes.client.exceptions import ApiException

    api = client.CustomObjectsApi(kube.api_client)

    def listing(**kw: Any) -> Any:
        if namespace is None:
            return api.list_cluster_custom_object(GROUP, VERSION, plural, **kw)
        return api.list_namespaced_custom_object(GROUP, VERSION, namespace, plural, **kw)

    deadline = time.monotonic() + timeout
    objects: dict[str, dict[str, Any]] = {}

    def state() -> str:
        return "\n".join(f"{plural} {n}: {describe_conditions(o)}" for n, o in objects.items()) or f"no {plural}"

    with progress.phase(what):
        try:
            first = listing()
            objects = {o["metadata"]["name"]: o for o in first.get("items", [])}
            version = first["metadata"]["resourceVersion"]
            while check(objects) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SetupError(str(WaitTimeout(what, timeout, state())))
                seconds = max(1, int(remaining))
                for event in watch.Watch().stream(
                    listing,
                    resource_version=version,
                    timeout_seconds=seconds,
                    _request_timeout=(10, seconds + 10),  # a stalled connection must not outlive the wait
                ):
                    obj = event["object"]
                    version = obj["metadata"]["resourceVersion"]
                    if event["type"] == "DELETED":
                        objects.pop(obj["metadata"]["name"], None)
                    else:
                        objects[obj["metadata"]["name"]] = obj
                    if check(objects) is not None or time.monotonic() >= deadline:
                        break
        except WaitAborted as exc:
            raise SetupError(f"{what}: {exc}") from None
        except ApiException as exc:
            raise SetupError(f"{what}: the API server answered {exc.status} {exc.reason}") from None


def wait_gateway_programmed(kube: Kube, gateway: GatewayRef, timeout: float) -> None:
    watch_custom(
        kube,
        "gateways",
        condition_check(gateway.name, ("Accepted", "Programmed")),
        what=f"Gateway {gateway.namespace}/{gateway.name} to be Accepted and Programmed",
        timeout=timeout,
        namespace=gateway.namespace,
    )


def wait_route_accepted(kube: Kube, namespace: str, route: str, gateway: GatewayRef, timeout: float) -> None:
    watch_custom(
        kube,
        "httproutes",
        condition_check(route, ("Accepted", "ResolvedRefs"), parent=gateway.name),
        what=f"HTTPRoute {namespace}/{route} to be Accepted by Gateway {gateway.name} with its backends resolved",
        timeout=timeout,
        namespace=namespace,
    )


def route_sections(kube: Kube, namespace: str, route: str, gateway: GatewayRef) -> dict[str, str]:
    """For a failure report: the HTTPRoute's conditions for its Gateway, and the Gateway's own."""
    from kubernetes import client

    api = client.CustomObjectsApi(kube.api_client)

    def conditions_of(obj_namespace: str, plural: str, name: str, parent: str | None) -> str:
        try:
            obj = cast("dict[str, Any]", api.get_namespaced_custom_object(GROUP, VERSION, obj_namespace, plural, name))
        except Exception as exc:  # noqa: BLE001 (a report section must not hide the others)
            return f"could not read it: {getattr(exc, 'reason', None) or exc}"
        return describe_conditions(obj, parent)

    return {
        f"HTTPRoute {namespace}/{route} (for Gateway {gateway.name})": conditions_of(
            namespace, "httproutes", route, gateway.name
        ),
        f"Gateway {gateway.namespace}/{gateway.name}": conditions_of(gateway.namespace, "gateways", gateway.name, None),
    }


def find_gateway(kube: Kube, base_url: str) -> GatewayRef:
    """On an existing cluster: the only Programmed Gateway of Envoy Gateway's class, reached at ``base_url``."""
    from kubernetes import client

    api = client.CustomObjectsApi(kube.api_client)
    listed_classes = cast("dict[str, Any]", api.list_cluster_custom_object(GROUP, VERSION, "gatewayclasses"))
    listed_gateways = cast("dict[str, Any]", api.list_cluster_custom_object(GROUP, VERSION, "gateways"))
    classes = {
        c["metadata"]["name"]
        for c in listed_classes.get("items", [])
        if c["spec"].get("controllerName") == "gateway.envoyproxy.io/gatewayclass-controller"
    }
    gateways = [
        g
        for g in listed_gateways.get("items", [])
        if g["spec"].get("gatewayClassName") in classes
        and (conditions(g).get("Programmed") or {}).get("status") == "True"
    ]
    if len(gateways) != 1:
        names = [f"{g['metadata']['namespace']}/{g['metadata']['name']}" for g in gateways]
        raise SetupError(
            f"--sticky-ingress=gateway on an existing cluster needs exactly one Programmed Gateway of an Envoy Gateway "
            f"GatewayClass (classes {sorted(classes) or 'none'}; Gateways {names or 'none'})"
        )
    meta = gateways[0]["metadata"]
    return GatewayRef(meta["name"], meta["namespace"], base_url)


def create_custom(kube: Kube, obj: dict[str, Any]) -> bool:
    """Create a custom object (Gateway API, Envoy Gateway); False when it exists already (kept as it is)."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    from pytest_sticky.kube.connection import api_error

    group, _, version = obj["apiVersion"].rpartition("/")
    plural = PLURALS[obj["kind"]]
    api = client.CustomObjectsApi(kube.api_client)
    namespace = obj["metadata"].get("namespace")
    try:
        if namespace:
            api.create_namespaced_custom_object(group, version, namespace, plural, obj)
        else:
            api.create_cluster_custom_object(group, version, plural, obj)
    except ApiException as exc:
        if exc.status == 409:
            return False
        raise api_error(exc, kube, f"create {obj['kind']}/{obj['metadata']['name']}") from None
    return True


def expose(kube: Kube, route: Any, *, namespace: str, gateway: GatewayRef, timeout: float) -> str:
    """Create ``route``'s HTTPRoute (in the CRD's sessionPersistence shape) and wait until it is Accepted.

    Returns the host it is routed by (sent as ``Host`` to ``gateway.base_url``).
    """
    from pytest_sticky.gateway.httproute import httproute

    host = f"{route.name}.{namespace}.sticky.test"
    obj = httproute(
        route,
        namespace=namespace,
        hostname=host,
        schema=httproute_schema(kube),
        gateway=gateway.name,
        gateway_namespace=gateway.namespace,
    )
    create_custom(kube, obj)
    wait_route_accepted(kube, namespace, route.name, gateway, timeout)
    return host
