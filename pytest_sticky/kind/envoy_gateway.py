"""Envoy Gateway on kind: Gateway API CRDs (experimental, v1.6.1), Envoy Gateway v1.9.0, a Gateway on port 80.

Install order: the Gateway API v1.6.1 experimental-channel CRDs (``experimental-install.yaml`` of
the release), then Envoy Gateway's ``install.yaml`` of v1.9.0 (it carries the same v1.6.1
experimental CRDs, [envoyproxy/gateway v1.9.0 tools/make/kube.mk:10-11 GATEWAY_API_VERSION v1.6.1,
charts/gateway-crds-helm/values.yaml channel experimental], which are then already there and
kept), wait for the ``envoy-gateway`` Deployment, then an EnvoyProxy, GatewayClass and Gateway.

Checksums: NEITHER download is checked. Neither release publishes a checksum of these files
(envoyproxy/gateway v1.9.0 ``.github/workflows/release.yaml`` uploads install.yaml, quickstart.yaml,
envoy-gateway-crds.yaml and release notes only; gateway-api's release assets are the same), and
this machine cannot fetch them to pin one. Only the HTTPRoute CRD the schema checks use is pinned
by sha256 (``gateway/crd.py``). ``--sticky-ingress-manifest=PATH`` installs Envoy Gateway from a
file you trust instead.

Reaching the Gateway: kind maps a host port to the node's port 80 (``kind/config.py``), as for
ingress-nginx; Envoy Gateway's proxy listens on 10080 for a Gateway listener on port 80 (ports
below 1024 are shifted by 10000, [internal/gatewayapi/translator.go:50, listener.go:1421]), so
the EnvoyProxy patches the ``envoy`` container's port 10080 with ``hostPort: 80``.
"""

from __future__ import annotations

import time
from typing import Any

from pytest_sticky import progress
from pytest_sticky.downloads import download as fetch
from pytest_sticky.gateway import httproute
from pytest_sticky.kube.connection import Kube
from pytest_sticky.kube.gateway import GatewayRef, condition_check, create_custom, wait_gateway_programmed, watch_custom
from pytest_sticky.kube.install import apply_objects, deployment_exists, parse_manifest, wait_pods_ready

GATEWAY_API_TAG = "v1.6.1"
GATEWAY_API_URL = (
    f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_TAG}/experimental-install.yaml"
)
TAG = "v1.9.0"
INSTALL_URL = f"https://github.com/envoyproxy/gateway/releases/download/{TAG}/install.yaml"
DOWNLOAD_TIMEOUT = 60.0

NAMESPACE = "envoy-gateway-system"
DEPLOYMENT = "envoy-gateway"
SELECTOR = "control-plane=envoy-gateway"
GATEWAY_NAMESPACE = NAMESPACE
ENVOY_PROXY = "pytest-sticky"
PROXY_SELECTOR = "app.kubernetes.io/managed-by=envoy-gateway,app.kubernetes.io/component=proxy"
LISTENER_CONTAINER_PORT = 10080


def describe_install() -> list[str]:
    return [
        f"kind installs the Gateway API {GATEWAY_API_TAG} experimental CRDs from {GATEWAY_API_URL} "
        "(no upstream checksum)",
        f"then Envoy Gateway {TAG} from {INSTALL_URL} (no upstream checksum; see pytest_sticky/kind/envoy_gateway.py)",
    ]


def envoy_proxy() -> dict[str, Any]:
    """Envoy Gateway's proxy binds the node's port 80 (kind maps a host port there)."""
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "EnvoyProxy",
        "metadata": {"name": ENVOY_PROXY, "namespace": GATEWAY_NAMESPACE, "labels": dict(httproute.MANAGED_BY)},
        "spec": {
            "provider": {
                "type": "Kubernetes",
                "kubernetes": {
                    "envoyService": {"type": "ClusterIP"},
                    "envoyDeployment": {
                        "patch": {
                            "type": "StrategicMerge",
                            "value": {
                                "spec": {
                                    "template": {
                                        "spec": {
                                            "containers": [
                                                {
                                                    "name": "envoy",
                                                    "ports": [
                                                        {
                                                            "containerPort": LISTENER_CONTAINER_PORT,
                                                            "hostPort": 80,
                                                            "protocol": "TCP",
                                                        }
                                                    ],
                                                }
                                            ]
                                        }
                                    }
                                }
                            },
                        }
                    },
                },
            }
        },
    }


def gateway_objects() -> list[dict[str, Any]]:
    """EnvoyProxy, GatewayClass (pointing at it) and the Gateway the apps' HTTPRoutes attach to."""
    gateway_class = httproute.gateway_class()
    gateway_class["spec"]["parametersRef"] = {
        "group": "gateway.envoyproxy.io",
        "kind": "EnvoyProxy",
        "name": ENVOY_PROXY,
        "namespace": GATEWAY_NAMESPACE,
    }
    return [envoy_proxy(), gateway_class, httproute.gateway(GATEWAY_NAMESPACE)]


def download(url: str) -> str:
    return fetch(
        url,
        what=url,
        phase=f"downloading {url}",
        timeout=DOWNLOAD_TIMEOUT,
        advice=(
            ". Without access to it, download it elsewhere and pass --sticky-ingress-manifest=PATH (Envoy Gateway's "
            "install.yaml, which carries the Gateway API CRDs)"
        ),
    ).text


def install(kube: Kube, *, manifest_path: str, http_port: int, timeout: float) -> tuple[GatewayRef, str]:
    """Install (unless present) and wait until our Gateway is Programmed. Return it and where EG came from."""
    deadline = time.monotonic() + timeout
    if deployment_exists(kube, NAMESPACE, DEPLOYMENT):
        origin = "already installed"
    else:
        if manifest_path:
            from pytest_sticky.kube.install import load_manifest

            objects, origin = load_manifest(manifest_path), manifest_path
        else:
            with progress.phase(f"installing the Gateway API {GATEWAY_API_TAG} experimental CRDs"):
                apply_objects(kube, parse_manifest(download(GATEWAY_API_URL), GATEWAY_API_URL))
            objects, origin = parse_manifest(download(INSTALL_URL), INSTALL_URL), f"Envoy Gateway {TAG} ({INSTALL_URL})"
        with progress.phase(f"installing Envoy Gateway from {origin}"):
            apply_objects(kube, objects)
    wait_pods_ready(kube, NAMESPACE, SELECTOR, what="the Envoy Gateway controller to be Ready", timeout=_left(deadline))
    for obj in gateway_objects():
        create_custom(kube, obj)
    watch_custom(
        kube,
        "gatewayclasses",
        condition_check(httproute.GATEWAY_CLASS, ("Accepted",)),
        what=f"GatewayClass {httproute.GATEWAY_CLASS} to be Accepted",
        timeout=_left(deadline),
    )
    gateway = GatewayRef(httproute.GATEWAY_NAME, GATEWAY_NAMESPACE, f"http://127.0.0.1:{http_port}/")
    wait_gateway_programmed(kube, gateway, _left(deadline))
    return gateway, origin


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())
