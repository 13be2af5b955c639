"""How this process reaches an app's Service when no ingress routes it: a NodePort, else the ClusterIP."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import Kube
from pytest_sticky.waiting import WaitTimeout, wait_until


def reach_service(kube: Kube, service: Any, pods: list[str], timeout: float) -> tuple[str, str]:
    """How this process reaches the Service, in order of preference: its NodePort on
    loopback (kube-proxy serves NodePorts there when the tests run on a node), on a node's
    InternalIP, then its ClusterIP. A candidate counts only when one of *our* pods answers
    it, so an unrelated local listener is never mistaken for the app."""
    port = service.spec.ports[0]
    affinity = f"sessionAffinity {service.spec.session_affinity}"
    name = service.metadata.name
    candidates = [(f"http://127.0.0.1:{port.node_port}/", f"NodePort 127.0.0.1:{port.node_port}")]
    for node in kube.core.list_node().items:
        for address in node.status.addresses or []:
            if address.type == "InternalIP":
                candidates.append(
                    (f"http://{address.address}:{port.node_port}/", f"NodePort {address.address}:{port.node_port}")
                )
    candidates.append(
        (f"http://{service.spec.cluster_ip}:{port.port}/", f"ClusterIP {service.spec.cluster_ip}:{port.port}")
    )

    def first_answering() -> tuple[str, str] | None:
        for url, how in candidates:
            if _answered_by(url, pods):
                return url, f"Service {name} {how} ({affinity})"
        return None

    try:
        # kube-proxy programs a new Service on its next sync: give it the deadline
        return wait_until(
            first_answering,
            what=f"Service {name} to answer from this machine",
            timeout=timeout,
            interval=0.1,
            max_interval=1.0,
        )
    except WaitTimeout:
        raise SetupError(
            f"cannot reach Service {name}: there is no ingress, and none of "
            f"{', '.join(how for _, how in candidates)} was answered by its pods from this machine "
            f"within {timeout:g} s"
        ) from None


def _answered_by(url: str, pods: list[str], timeout: float = 2.0) -> bool:
    """Whether ``GET url`` is answered by one of ``pods`` (the demo app names itself)."""
    parts = urlsplit(url)
    if not parts.hostname or not parts.port or parts.hostname == "None":
        return False
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            return response.getheader("X-Pod-Name") in pods
        finally:
            conn.close()
    except OSError:
        return False
