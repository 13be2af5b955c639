"""The kind cluster configuration: one control-plane node whose ports 80/443 are host ports.

Rendered in code (no template file) and checked against the fields of kind's
``kind.x-k8s.io/v1alpha4`` types (kubernetes-sigs/kind ``pkg/apis/config/v1alpha4/types.go`` at
v0.32.0 and at main of 2026-08-21, the json tags of Cluster :21-93, Node :104-150, PortMapping
:278-291), which kind itself parses strictly: an unknown field makes ``kind create cluster`` fail.
"""

from __future__ import annotations

import ipaddress
from typing import Any

API_VERSION = "kind.x-k8s.io/v1alpha4"
LISTEN_ADDRESS = "127.0.0.1"
"""Host ports are published on the loopback address only: the tests are the only clients."""

# field -> expected Python type, from kind's v1alpha4 types (the subset a generated config may use)
CLUSTER_FIELDS: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "apiVersion": str,
    "name": str,
    "nodes": list,
    "networking": dict,
    "featureGates": dict,
    "runtimeConfig": dict,
    "kubeadmConfigPatches": list,
    "kubeadmConfigPatchesJSON6902": list,
    "containerdConfigPatches": list,
    "containerdConfigPatchesJSON6902": list,
}
NODE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "role": str,
    "image": str,
    "labels": dict,
    "extraMounts": list,
    "extraPortMappings": list,
    "kubeadmConfigPatches": list,
    "kubeadmConfigPatchesJSON6902": list,
}
PORT_MAPPING_FIELDS: dict[str, type | tuple[type, ...]] = {
    "containerPort": int,
    "hostPort": int,
    "listenAddress": str,
    "protocol": str,
}
ROLES = ("control-plane", "worker")
PROTOCOLS = ("TCP", "UDP", "SCTP")


def kind_config(*, name: str, http_port: int, https_port: int) -> dict[str, Any]:
    """A single control-plane node with host ``http_port``/``https_port`` -> node 80/443 (TCP, loopback)."""
    return {
        "kind": "Cluster",
        "apiVersion": API_VERSION,
        "name": name,
        "nodes": [
            {
                "role": "control-plane",
                "extraPortMappings": [
                    {"containerPort": 80, "hostPort": http_port, "listenAddress": LISTEN_ADDRESS, "protocol": "TCP"},
                    {"containerPort": 443, "hostPort": https_port, "listenAddress": LISTEN_ADDRESS, "protocol": "TCP"},
                ],
            }
        ],
    }


def render(config: dict[str, Any]) -> str:
    import yaml

    problems = validate(config)
    if problems:
        raise ValueError("invalid kind configuration: " + "; ".join(problems))
    return str(yaml.safe_dump(config, sort_keys=False))


def _fields(where: str, obj: object, fields: dict[str, type | tuple[type, ...]]) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected a mapping, got {type(obj).__name__}"]
    problems = []
    for key, value in obj.items():
        if key not in fields:
            problems.append(f"{where}: unknown field {key!r}")
        elif isinstance(value, bool) or not isinstance(value, fields[key]):
            problems.append(f"{where}.{key}: expected {_type_name(fields[key])}, got {type(value).__name__}")
    return problems


def _type_name(expected: type | tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in expected) if isinstance(expected, tuple) else expected.__name__


def validate(config: object) -> list[str]:
    """Problems that would make kind reject ``config`` (an empty list: none found)."""
    problems = _fields("cluster", config, CLUSTER_FIELDS)
    if problems or not isinstance(config, dict):
        return problems
    if config.get("kind") != "Cluster":
        problems.append(f"cluster.kind: expected 'Cluster', got {config.get('kind')!r}")
    if config.get("apiVersion") != API_VERSION:
        problems.append(f"cluster.apiVersion: expected {API_VERSION!r}, got {config.get('apiVersion')!r}")
    nodes = config.get("nodes", [])
    if not any(isinstance(n, dict) and n.get("role", "control-plane") == "control-plane" for n in nodes):
        problems.append("cluster.nodes: no control-plane node")
    host_ports: set[tuple[str, int, str]] = set()
    for i, node in enumerate(nodes):
        where = f"nodes[{i}]"
        node_problems = _fields(where, node, NODE_FIELDS)
        problems += node_problems
        if node_problems or not isinstance(node, dict):
            continue
        if node.get("role", "control-plane") not in ROLES:
            problems.append(f"{where}.role: expected one of {', '.join(ROLES)}, got {node['role']!r}")
        for j, mapping in enumerate(node.get("extraPortMappings", [])):
            problems += _port_mapping(f"{where}.extraPortMappings[{j}]", mapping, host_ports)
    return problems


def _port_mapping(where: str, mapping: object, seen: set[tuple[str, int, str]]) -> list[str]:
    problems = _fields(where, mapping, PORT_MAPPING_FIELDS)
    if problems or not isinstance(mapping, dict):
        return problems
    for field in ("containerPort", "hostPort"):
        port = mapping.get(field)
        if port is None and field == "containerPort":
            problems.append(f"{where}.containerPort: required")
        elif port is not None and not (1 <= port <= 65535 or (field == "hostPort" and port == -1)):
            problems.append(f"{where}.{field}: {port} is not a port (1-65535)")
    protocol = mapping.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        problems.append(f"{where}.protocol: expected one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    address = mapping.get("listenAddress", "0.0.0.0")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        problems.append(f"{where}.listenAddress: {address!r} is not an IP address")
    bound = (str(address), int(mapping.get("hostPort", 0)), str(protocol))
    if bound[1] > 0 and bound in seen:
        problems.append(f"{where}.hostPort: {bound[1]} is mapped twice on {address}")
    seen.add(bound)
    return problems
