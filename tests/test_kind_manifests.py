"""What the kind provider ships or generates, checked statically (no cluster, no kind).

- the generated kind config: against the fields of kind's v1alpha4 types (kind parses it strictly);
- ``fixtures/ingress/traefik.yaml`` and the pinned ingress-nginx manifest (the shared reference
  copy, else the plugin's verified download: see ``tests/pinned.py``): ``kubernetes-validate
  --strict`` against the oldest and newest schemas it ships. The ingress-nginx cases are
  parametrised over a fixed list of its objects, so they skip (saying why) rather than vanish
  where the manifest cannot be had.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from pytest_sticky.kind import ingress_nginx, traefik
from pytest_sticky.kind.config import (
    API_VERSION,
    CLUSTER_FIELDS,
    NODE_FIELDS,
    PORT_MAPPING_FIELDS,
    kind_config,
    render,
    validate,
)
from pytest_sticky.kube.install import load_manifest
from tests.pinned import INGRESS_NGINX_OBJECTS, Unavailable, pinned_manifest, pinned_objects

VERSIONS = ["1.25.0", kubernetes_validate.latest_version()]


def named(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{o['kind']}/{o['metadata']['name']}", o) for o in objects]


TRAEFIK = named(load_manifest(traefik.manifest_file()))


@pytest.fixture(scope="module")
def ingress_nginx_objects() -> dict[str, dict[str, Any]]:
    try:
        return pinned_objects()
    except Unavailable as exc:
        pytest.skip(str(exc))


# -- the kind config -------------------------------------------------------------------------------


def test_the_kind_config_maps_the_host_ports_to_the_nodes_80_and_443_on_loopback() -> None:
    config = kind_config(name="sticky", http_port=38080, https_port=38443)
    assert config == {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": "sticky",
        "nodes": [
            {
                "role": "control-plane",
                "extraPortMappings": [
                    {"containerPort": 80, "hostPort": 38080, "listenAddress": "127.0.0.1", "protocol": "TCP"},
                    {"containerPort": 443, "hostPort": 38443, "listenAddress": "127.0.0.1", "protocol": "TCP"},
                ],
            }
        ],
    }
    assert validate(config) == []
    assert render(config) == (
        "kind: Cluster\n"
        "apiVersion: kind.x-k8s.io/v1alpha4\n"
        "name: sticky\n"
        "nodes:\n"
        "- role: control-plane\n"
        "  extraPortMappings:\n"
        "  - containerPort: 80\n"
        "    hostPort: 38080\n"
        "    listenAddress: 127.0.0.1\n"
        "    protocol: TCP\n"
        "  - containerPort: 443\n"
        "    hostPort: 38443\n"
        "    listenAddress: 127.0.0.1\n"
        "    protocol: TCP\n"
    )


def test_the_checked_fields_are_kinds_own() -> None:
    """The json tags of kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go (v0.32.0; unchanged on main
    of 2026-08-21): Cluster :21-93, Node :104-150, PortMapping :278-291. A field kind does not have would be
    accepted by the check and rejected by ``kind create cluster``."""
    assert set(CLUSTER_FIELDS) == {
        "kind",
        "apiVersion",
        "name",
        "nodes",
        "networking",
        "featureGates",
        "runtimeConfig",
        "kubeadmConfigPatches",
        "kubeadmConfigPatchesJSON6902",
        "containerdConfigPatches",
        "containerdConfigPatchesJSON6902",
    }
    assert set(NODE_FIELDS) == {
        "role",
        "image",
        "labels",
        "extraMounts",
        "extraPortMappings",
        "kubeadmConfigPatches",
        "kubeadmConfigPatchesJSON6902",
    }
    assert set(PORT_MAPPING_FIELDS) == {"containerPort", "hostPort", "listenAddress", "protocol"}
    assert API_VERSION == "kind.x-k8s.io/v1alpha4"  # pkg/internal/apis/config/encoding/load.go:66


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c.update(apiVersion="kind.x-k8s.io/v1alpha3"), "cluster.apiVersion: expected"),
        (lambda c: c.update(kind="Config"), "cluster.kind: expected 'Cluster'"),
        (lambda c: c.update(node=[]), "cluster: unknown field 'node'"),
        (lambda c: c["nodes"][0].update(role="master"), "nodes[0].role: expected one of control-plane, worker"),
        (lambda c: c["nodes"][0].update(extraPortMapping=[]), "nodes[0]: unknown field 'extraPortMapping'"),
        (lambda c: c["nodes"][0]["extraPortMappings"][0].update(hostPort=70000), "hostPort: 70000 is not a port"),
        (lambda c: c["nodes"][0]["extraPortMappings"][0].update(hostPort="80"), "hostPort: expected int, got str"),
        (lambda c: c["nodes"][0]["extraPortMappings"][0].update(listenAddress="localhost"), "is not an IP address"),
        (lambda c: c["nodes"][0]["extraPortMappings"][0].update(protocol="HTTP"), "protocol: expected one of"),
        (lambda c: c["nodes"][0]["extraPortMappings"][1].update(hostPort=38080), "38080 is mapped twice"),
        (lambda c: c["nodes"][0].update(role="worker"), "cluster.nodes: no control-plane node"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_kind_config_check_finds_what_kind_would_reject(change: Any, problem: str) -> None:
    config = kind_config(name="sticky", http_port=38080, https_port=38443)
    change(config)
    problems = validate(config)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="invalid kind configuration"):
        render(config)


# -- Kubernetes manifests ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "obj"), TRAEFIK, ids=[n for n, _ in TRAEFIK])
def test_the_traefik_manifest_is_valid(name: str, obj: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", INGRESS_NGINX_OBJECTS)
def test_the_pinned_ingress_nginx_manifest_is_valid(
    ingress_nginx_objects: dict[str, dict[str, Any]], name: str, version: str
) -> None:
    kubernetes_validate.validate(ingress_nginx_objects[name], version, strict=True)


def test_the_pinned_manifest_holds_exactly_the_listed_objects(ingress_nginx_objects: dict[str, Any]) -> None:
    assert list(ingress_nginx_objects) == INGRESS_NGINX_OBJECTS


def test_the_manifest_used_is_the_pinned_one(ingress_nginx_objects: dict[str, Any]) -> None:
    data, origin = pinned_manifest()
    assert ingress_nginx.sha256(data) == "2a3ae008c8786431115502644e77ab398fdebfb721a5d1195ed3089cde3299df", origin


def test_what_the_ingress_nginx_waits_rely_on_is_in_the_manifest(ingress_nginx_objects: dict[str, Any]) -> None:
    """The names and labels ingress_nginx.py waits on are those of the pinned manifest."""
    objects = ingress_nginx_objects
    deployment = objects[f"Deployment/{ingress_nginx.DEPLOYMENT}"]
    assert deployment["metadata"]["namespace"] == ingress_nginx.NAMESPACE
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for pair in ingress_nginx.CONTROLLER_SELECTOR.split(","):
        key, value = pair.split("=")
        assert labels[key] == value
    ports = {
        p["containerPort"]: p.get("hostPort") for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert ports[80] == 80 and ports[443] == 443
    for job in ingress_nginx.ADMISSION_JOBS:
        assert objects[f"Job/{job}"]["spec"]["ttlSecondsAfterFinished"] == 0  # why a missing Job counts as done
    assert objects["IngressClass/nginx"]["spec"]["controller"] == "k8s.io/ingress-nginx"
    webhook = objects["ValidatingWebhookConfiguration/ingress-nginx-admission"]["webhooks"][0]
    assert webhook["failurePolicy"] == "Fail" and webhook["sideEffects"] == "None"  # dry-run reaches it


def test_the_traefik_manifest_serves_the_nginx_class_with_its_ingress_nginx_provider() -> None:
    objects = dict(TRAEFIK)
    assert objects["IngressClass/nginx"]["spec"]["controller"] == "k8s.io/ingress-nginx"
    deployment = objects[f"Deployment/{traefik.DEPLOYMENT}"]
    assert deployment["metadata"]["namespace"] == traefik.NAMESPACE
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    image, _, tag = container["image"].rpartition(":")
    assert image == "traefik" and tag.startswith("v3.") and tag.count(".") == 2, "a pinned Traefik v3 release"
    assert "--providers.kubernetesingressnginx=true" in container["args"]
    assert not any(a.startswith("--experimental.kubernetesingressnginx") for a in container["args"]), (
        "deprecated since v3.6.2: Traefik logs an error for it"
    )
    ports = {p["name"]: p for p in container["ports"]}
    assert ports["web"]["hostPort"] == 80 and ports["websecure"]["hostPort"] == 443
    assert container["readinessProbe"]["httpGet"] == {"path": "/ping", "port": "traefik"}
    assert pod["nodeSelector"]["node-role.kubernetes.io/control-plane"] == ""
    assert {t["key"] for t in pod["tolerations"]} == {
        "node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master",
    }
    assert (
        pod["serviceAccountName"]
        == objects["ClusterRoleBinding/traefik-ingress-nginx-controller"]["subjects"][0]["name"]
    )
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for pair in traefik.SELECTOR.split(","):
        key, value = pair.split("=")
        assert labels[key] == value


def test_traefik_runs_the_3_7_release_with_the_provider_flags_spelled_as_upstream() -> None:
    """The flags as traefik/traefik v3.7.9 spells them: docs/content/reference/install-configuration/providers/
    kubernetes/kubernetes-ingress-nginx.md:128-129 (ingressclass, controllerclass) and the option table there
    (:196, publishStatusAddress; flags are the lower-cased option paths). An unknown flag stops Traefik."""
    container = dict(TRAEFIK)[f"Deployment/{traefik.DEPLOYMENT}"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "traefik:v3.7.9"
    provider_args = sorted(a for a in container["args"] if a.startswith("--providers."))
    assert provider_args == [
        "--providers.kubernetesingressnginx.controllerclass=k8s.io/ingress-nginx",
        "--providers.kubernetesingressnginx.ingressclass=nginx",
        "--providers.kubernetesingressnginx.publishstatusaddress=localhost",
        "--providers.kubernetesingressnginx=true",
    ]


def test_the_traefik_rbac_grants_what_the_provider_watches() -> None:
    """Traefik's kubernetes-ingress-nginx-rbac.yml (v3.7.9): list/watch of these, update of ingresses/status;
    configmaps since v3.7.0 (docs/content/migrate/v3.md, "v3.7.0")."""
    rules = dict(TRAEFIK)["ClusterRole/traefik-ingress-nginx-controller"]["rules"]
    granted = {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    for group, resource in [
        ("", "services"),
        ("", "secrets"),
        ("", "configmaps"),
        ("discovery.k8s.io", "endpointslices"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
    ]:
        assert {(group, resource, "list"), (group, resource, "watch")} <= granted
    assert ("networking.k8s.io", "ingresses/status", "update") in granted
