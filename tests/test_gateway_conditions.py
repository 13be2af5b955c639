"""Waiting for Gateway API conditions: what counts as Accepted/Programmed, and what ends a wait at once."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_sticky.kind.envoy_gateway import LISTENER_CONTAINER_PORT, gateway_objects
from pytest_sticky.kube.gateway import condition_check, describe_conditions
from pytest_sticky.waiting import WaitAborted


def gateway(generation: int, *conditions: tuple[str, str, str, int]) -> dict[str, Any]:
    return {
        "metadata": {"name": "gw", "generation": generation},
        "status": {
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": "m", "observedGeneration": g}
                for t, s, r, g in conditions
            ]
        },
    }


def route(parent: str, status: str, reason: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "r", "generation": 1},
        "status": {
            "parents": [
                {
                    "parentRef": {"name": parent},
                    "conditions": [
                        {"type": "Accepted", "status": status, "reason": reason, "observedGeneration": 1},
                        {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "observedGeneration": 1},
                    ],
                }
            ]
        },
    }


def test_a_gateway_is_ready_when_accepted_and_programmed_for_its_generation() -> None:
    check = condition_check("gw", ("Accepted", "Programmed"))
    assert check({}) is None
    assert check({"gw": gateway(2, ("Accepted", "True", "Accepted", 2))}) is None
    assert (
        check({"gw": gateway(2, ("Accepted", "True", "Accepted", 1), ("Programmed", "True", "Programmed", 1))}) is None
    )
    assert check({"gw": gateway(2, ("Accepted", "True", "Accepted", 2), ("Programmed", "True", "Programmed", 2))})
    assert check({"gw": gateway(2, ("Accepted", "True", "Accepted", 2), ("Programmed", "False", "Pending", 2))}) is None


def test_a_refusal_ends_the_wait_with_its_reason() -> None:
    check = condition_check("gw", ("Accepted", "Programmed"))
    with pytest.raises(WaitAborted, match=r"Accepted=False \(InvalidParameters\): m"):
        check({"gw": gateway(1, ("Accepted", "False", "InvalidParameters", 1))})


def test_an_httproute_is_read_for_our_gateway_only() -> None:
    check = condition_check("r", ("Accepted", "ResolvedRefs"), parent="pytest-sticky")
    assert check({"r": route("other", "True", "Accepted")}) is None
    assert check({"r": route("pytest-sticky", "True", "Accepted")})
    with pytest.raises(WaitAborted, match="NotAllowedByListeners"):
        check({"r": route("pytest-sticky", "False", "NotAllowedByListeners")})
    assert describe_conditions({"metadata": {}}) == "no conditions yet (is a Gateway API controller running?)"


def test_the_gateway_class_uses_the_envoy_proxy_that_binds_the_node_port_80() -> None:
    proxy, gateway_class, gw = gateway_objects()
    assert gateway_class["spec"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    assert gateway_class["spec"]["parametersRef"] == {
        "group": "gateway.envoyproxy.io",
        "kind": "EnvoyProxy",
        "name": "pytest-sticky",
        "namespace": "envoy-gateway-system",
    }
    container = proxy["spec"]["provider"]["kubernetes"]["envoyDeployment"]["patch"]["value"]["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert container["name"] == "envoy"
    assert container["ports"] == [{"containerPort": 10080, "hostPort": 80, "protocol": "TCP"}]
    assert LISTENER_CONTAINER_PORT == 10080
    assert gw["spec"]["listeners"] == [
        {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    ]
