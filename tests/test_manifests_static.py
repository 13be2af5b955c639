"""Every manifest the plugin ships or renders validates against current Kubernetes schemas."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from pytest_sticky.kube import manifests

VERSIONS = ["1.25.0", kubernetes_validate.latest_version()]
"""The oldest and newest schemas kubernetes-validate ships (1.20 itself is checked live on the devcluster)."""


def rendered() -> list[tuple[str, dict[str, Any]]]:
    images = manifests.Images()
    objects = [
        *manifests.app_objects(name="hello", replicas=3, store="memory", redis_addr="", images=images, grace_period=1),
        *manifests.app_objects(
            name="hello-redis", replicas=2, store="redis", redis_addr="10.96.0.10:6379", images=images, grace_period=1
        ),
        *manifests.redis_objects(images),
        manifests.client_pod(images),
        *manifests.ingress_objects(
            name="hello",
            host="hello.sticky-1.sticky.test",
            ingress_class="nginx",
            cookie_name="INGRESSCOOKIE",
            affinity_mode="balanced",
        ),
        *manifests.ingress_objects(
            name="hello-plain",
            host="hello-plain.sticky-1.sticky.test",
            ingress_class="nginx",
            cookie_name="INGRESSCOOKIE",
            affinity_mode="balanced",
            affinity=False,
        ),
        *manifests.ingress_objects(
            name="hello-cookie",
            host="hello-cookie.sticky-1.sticky.test",
            ingress_class="nginx",
            cookie_name="INGRESSCOOKIE",
            affinity_mode="persistent",
            annotations={"nginx.ingress.kubernetes.io/session-cookie-samesite": "Strict"},
        ),
        *manifests.ingress_objects(
            name="hello-default-name",
            host="hello-default-name.sticky-1.sticky.test",
            ingress_class="nginx",
            cookie_name="INGRESSCOOKIE",
            affinity_mode="balanced",
            annotations={"nginx.ingress.kubernetes.io/session-cookie-name": None},
        ),
        *manifests.ingress_objects(
            name="hello-change-on-failure",
            host="hello-change-on-failure.sticky-1.sticky.test",
            ingress_class="nginx",
            cookie_name="STICKY",
            affinity_mode="balanced",
            annotations={
                "nginx.ingress.kubernetes.io/session-cookie-change-on-failure": "true",
                "nginx.ingress.kubernetes.io/session-cookie-samesite": "None",
                "nginx.ingress.kubernetes.io/session-cookie-conditional-samesite-none": "true",
                "nginx.ingress.kubernetes.io/session-cookie-secure": "false",
            },
        ),
    ]
    return [(f"{o['kind']}/{o['metadata']['name']}", o) for o in objects]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "obj"), rendered(), ids=[n for n, _ in rendered()])
def test_rendered_manifest_is_valid(name: str, obj: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


def test_a_broken_manifest_is_rejected() -> None:
    """The check above can fail: an unknown field is an error in strict mode."""
    _, obj = rendered()[0]
    broken = {**obj, "spec": {"notAField": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_app_script_is_in_the_configmap() -> None:
    config_map = next(o for _, o in rendered() if o["kind"] == "ConfigMap")
    assert "def main()" in config_map["data"]["hello.py"]


def test_an_ingress_without_affinity_carries_no_affinity_annotation() -> None:
    ingresses = {o["metadata"]["name"]: o["metadata"]["annotations"] for _, o in rendered() if o["kind"] == "Ingress"}
    assert ingresses["hello"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert not [k for k in ingresses["hello-plain"] if "affinity" in k or "session-cookie" in k], ingresses
    assert ingresses["hello-cookie"]["nginx.ingress.kubernetes.io/session-cookie-samesite"] == "Strict"
    assert ingresses["hello-cookie"]["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"


def test_the_affinity_annotations_are_spelled_as_ingress_nginx_reads_them() -> None:
    """internal/ingress/annotations/sessionaffinity/main.go:30-65 (kubernetes/ingress-nginx controller-v1.15.1),
    with the prefix nginx.ingress.kubernetes.io/; written here, not taken from the code."""
    ingresses = {o["metadata"]["name"]: o["metadata"]["annotations"] for _, o in rendered() if o["kind"] == "Ingress"}
    assert ingresses["hello"] == {
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/affinity-mode": "balanced",
        "nginx.ingress.kubernetes.io/session-cookie-name": "INGRESSCOOKIE",
    }
    assert ingresses["hello-default-name"] == {
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/affinity-mode": "balanced",
    }
    assert ingresses["hello-change-on-failure"] == {
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/affinity-mode": "balanced",
        "nginx.ingress.kubernetes.io/session-cookie-name": "STICKY",
        "nginx.ingress.kubernetes.io/session-cookie-change-on-failure": "true",
        "nginx.ingress.kubernetes.io/session-cookie-samesite": "None",
        "nginx.ingress.kubernetes.io/session-cookie-conditional-samesite-none": "true",
        "nginx.ingress.kubernetes.io/session-cookie-secure": "false",
    }
