"""Fake ``kind``, ``docker`` and ``podman`` for the kind provider's tests (see ``kind``, ``docker``, ``podman``).

They answer the subcommands the provider uses the way the real programs do (same output
streams, messages and exit codes, as of kind v0.31 / Docker 28 / Podman 5) and keep what a
real engine would know in a JSON state file, so that ``kind create cluster`` followed by
``docker port <name>-control-plane 80/tcp`` tells the host port the config asked for.

Environment:
- ``STICKY_FAKE_LOG``: append one JSON line per call: ``{"tool", "argv", "provider", "config"}``
  (``config``: the text of ``--config`` for ``kind create cluster``, read before the caller
  deletes the file).
- ``STICKY_FAKE_STATE``: the state file: ``{"clusters": {name: {"ports": {"80": p, "443": p}}}}``.
- ``STICKY_FAKE_KUBECONFIG``: the kubeconfig ``kind get kubeconfig`` answers with, its current
  context renamed to ``kind-<name>`` as kind names it (default: one for https://127.0.0.1 at
  ``STICKY_FAKE_API_PORT``, default port 1: an API server that is not there).
- ``STICKY_FAKE_ENGINE_DOWN=1``: the container engine is not running.
- ``STICKY_FAKE_PORT_CLASHES=N``: the next N ``kind create cluster`` fail as when Docker cannot
  bind a host port (``port is already allocated``).
- ``STICKY_FAKE_MISSING_IMAGES=a,b``: ``docker save`` does not find these images.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

KIND_VERSION = "kind v0.31.0 go1.25.5 linux/amd64"
DEFAULT_NODE_IMAGE = "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
DOCKER_DOWN = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
PODMAN_DOWN = (
    "Error: unable to connect to Podman socket: failed to connect: dial tcp 127.0.0.1:41635: connect: connection "
    "refused. Please verify your connection to the Linux system using `podman system connection list`, or try "
    "`podman machine init` and `podman machine start` to manage a new Linux VM"
)


def _log(tool: str, argv: list[str], config: str | None = None) -> None:
    path = os.environ.get("STICKY_FAKE_LOG")
    if not path:
        return
    entry = {"tool": tool, "argv": argv, "provider": os.environ.get("KIND_EXPERIMENTAL_PROVIDER"), "config": config}
    with open(path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def _state_path() -> Path | None:
    path = os.environ.get("STICKY_FAKE_STATE")
    return Path(path) if path else None


def load_state() -> dict[str, Any]:
    path = _state_path()
    state: dict[str, Any] = {"clusters": {}}
    if path is not None and path.exists():
        state = json.loads(path.read_text())
    state.setdefault("clusters", {})
    state.setdefault("port_clashes", int(os.environ.get("STICKY_FAKE_PORT_CLASHES", "0") or 0))
    return state


def save_state(state: dict[str, Any]) -> None:
    path = _state_path()
    if path is not None:
        path.write_text(json.dumps(state, indent=1))


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _engine_down() -> bool:
    return os.environ.get("STICKY_FAKE_ENGINE_DOWN") == "1"


def _flag(argv: list[str], name: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE``."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


# -- kind -----------------------------------------------------------------------------------------


def kubeconfig_for(name: str, state: dict[str, Any]) -> str:
    source = os.environ.get("STICKY_FAKE_KUBECONFIG")
    context = f"kind-{name}"
    if not source:
        port = state["clusters"][name].get("api_port", 1)
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": f"https://127.0.0.1:{port}"}}],
            "users": [{"name": context, "user": {"token": "fake"}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "preferences": {},
        }
        return str(yaml.safe_dump(config, sort_keys=False))
    config = yaml.safe_load(Path(source).read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c for c in config["clusters"] if c["name"] == current["context"]["cluster"])
    user = next(u for u in config["users"] if u["name"] == current["context"]["user"])
    renamed = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster["cluster"]}],
        "users": [{"name": context, "user": user["user"]}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "preferences": {},
    }
    return str(yaml.safe_dump(renamed, sort_keys=False))


def _kind_list_failure() -> int:
    _err(
        'ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format '
        '\'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1\n'
        f"Command Output: {DOCKER_DOWN}"
    )
    return 1


def _kind_version(argv: list[str], name: str, state: dict[str, Any]) -> int:
    print(KIND_VERSION)
    return 0


def _kind_get_clusters(argv: list[str], name: str, state: dict[str, Any]) -> int:
    if _engine_down():
        return _kind_list_failure()
    if not state["clusters"]:
        _err("No kind clusters found.")
    for cluster in sorted(state["clusters"]):
        print(cluster)
    return 0


def _kind_get_kubeconfig(argv: list[str], name: str, state: dict[str, Any]) -> int:
    if name not in state["clusters"]:
        _err(
            f"ERROR: could not locate any control plane nodes for cluster named '{name}'. "
            "Use the --name option to select a different cluster"
        )
        return 1
    sys.stdout.write(kubeconfig_for(name, state))
    return 0


def _kind_delete(argv: list[str], name: str, state: dict[str, Any]) -> int:
    _err(f'Deleting cluster "{name}" ...')
    if name in state["clusters"]:
        del state["clusters"][name]
        _err(f'Deleted nodes: ["{name}-control-plane"]')
    save_state(state)
    return 0


def _kind_load(argv: list[str], name: str, state: dict[str, Any]) -> int:
    words = [a for a in argv if not a.startswith("-")]
    archive = words[2] if len(words) > 2 else ""
    if name not in state["clusters"]:
        _err(f'ERROR: no nodes found for cluster "{name}"')
        return 1
    if not Path(archive).is_file():
        _err(f"ERROR: failed to load image: open {archive}: no such file or directory")
        return 1
    return 0


KIND_COMMANDS = {
    ("version",): _kind_version,
    ("get", "clusters"): _kind_get_clusters,
    ("get", "kubeconfig"): _kind_get_kubeconfig,
    ("delete", "cluster"): _kind_delete,
    ("load", "image-archive"): _kind_load,
}


def kind(argv: list[str]) -> int:
    state = load_state()
    words = [a for a in argv if not a.startswith("-")]
    name = _flag(argv, "--name") or "kind"
    if words[:2] == ["create", "cluster"]:
        return _kind_create(argv, name, state)
    _log("kind", argv)
    for prefix, command in KIND_COMMANDS.items():
        if tuple(words[: len(prefix)]) == prefix:
            return command(argv, name, state)
    _err(f'ERROR: unknown command "{" ".join(words)}" for "kind"')
    return 1


def _kind_create(argv: list[str], name: str, state: dict[str, Any]) -> int:
    config_path = _flag(argv, "--config")
    text = Path(config_path).read_text() if config_path and Path(config_path).exists() else None
    _log("kind", argv, config=text)
    if _engine_down():
        _err(f"ERROR: failed to create cluster: failed to get docker info: {DOCKER_DOWN}")
        return 1
    if name in state["clusters"]:
        _err(f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
        return 1
    config: dict[str, Any] = (
        yaml.safe_load(text) if text else {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4"}
    )
    if config.get("kind") != "Cluster" or config.get("apiVersion") != "kind.x-k8s.io/v1alpha4":
        _err(f"ERROR: failed to create cluster: unknown apiVersion: {config.get('apiVersion')}")
        return 1
    ports: dict[str, int] = {}
    for node in config.get("nodes", []):
        if node.get("role", "control-plane") == "control-plane":
            for mapping in node.get("extraPortMappings", []):
                ports[str(mapping["containerPort"])] = int(mapping["hostPort"])
    _err(f'Creating cluster "{name}" ...')
    if state["port_clashes"] > 0:
        state["port_clashes"] -= 1
        save_state(state)
        taken = next(iter(ports.values()), 80)
        _err(
            f' ✗ Preparing nodes 📦\nERROR: failed to create cluster: command "docker run --name {name}-control-plane '
            f'..." failed with error: exit status 125\nCommand Output: docker: Error response from daemon: failed to '
            f"set up container networking: driver failed programming external connectivity on endpoint "
            f"{name}-control-plane: Bind for 127.0.0.1:{taken} failed: port is already allocated"
        )
        return 1
    api_port = int(os.environ.get("STICKY_FAKE_API_PORT", "1"))  # the API server of a cluster that is not there
    image = _flag(argv, "--image") or DEFAULT_NODE_IMAGE
    state["clusters"][name] = {"ports": ports, "image": image, "api_port": api_port}
    save_state(state)
    _err(f" ✓ Ensuring node image ({image.split('@')[0]}) 🖼\n ✓ Preparing nodes 📦\n ✓ Starting control-plane 🕹️")
    _err(f'Set kubectl context to "kind-{name}"')
    return 0


# -- docker / podman ------------------------------------------------------------------------------


def _engine_info(tool: str, words: list[str], argv: list[str], state: dict[str, Any]) -> int:
    if not _engine_down():
        print(f"Server Version: 28.2.2\nStorage Driver: overlay2\nName: fake-{tool}")
        return 0
    if tool == "docker":
        print("Client:\n Version:    28.2.2\n Context:    default\n\nServer:")
        _err(DOCKER_DOWN)
        return 1
    _err(PODMAN_DOWN)
    return 125


def _engine_port(tool: str, words: list[str], argv: list[str], state: dict[str, Any]) -> int:
    container = words[1] if len(words) > 1 else ""
    wanted = words[2].split("/")[0] if len(words) > 2 else ""
    owner = next((n for n in state["clusters"] if f"{n}-control-plane" == container), None)
    if owner is None:
        _err(f"Error response from daemon: No such container: {container}")
        return 1
    port = state["clusters"][owner]["ports"].get(wanted)
    if port is None:
        _err(f"Error: No public port '{wanted}/tcp' published for {container}")
        return 1
    print(f"127.0.0.1:{port}")
    return 0


def _engine_save(tool: str, words: list[str], argv: list[str], state: dict[str, Any]) -> int:
    output = _flag(argv, "-o") or _flag(argv, "--output")
    image = words[-1]
    missing = [i for i in os.environ.get("STICKY_FAKE_MISSING_IMAGES", "").split(",") if i]
    if image in missing:
        _err(f"Error response from daemon: reference does not exist: {image}")
        return 1
    if output:
        Path(output).write_bytes(b"fake image archive of " + image.encode())
    return 0


def _engine_inspect(tool: str, words: list[str], argv: list[str], state: dict[str, Any]) -> int:
    container = words[-1]
    owner = next((n for n in state["clusters"] if f"{n}-control-plane" == container), None)
    if owner is None:
        _err(f"Error: No such object: {container}")
        return 1
    print(state["clusters"][owner].get("image") or DEFAULT_NODE_IMAGE)
    return 0


ENGINE_COMMANDS = {"info": _engine_info, "port": _engine_port, "save": _engine_save, "inspect": _engine_inspect}


def engine(tool: str, argv: list[str]) -> int:
    _log(tool, argv)
    state = load_state()
    words = [a for a in argv if not a.startswith("-")]
    command = ENGINE_COMMANDS.get(words[0] if words else "")
    if command is None:
        _err(f"{tool}: '{' '.join(words)}' is not a {tool} command.")
        return 1
    if command is not _engine_info and _engine_down():
        _err(DOCKER_DOWN if tool == "docker" else PODMAN_DOWN)
        return 1 if tool == "docker" else 125
    return command(tool, words, argv, state)


def main(tool: str, argv: list[str]) -> int:
    if tool == "kind":
        return kind(argv)
    return engine(tool, argv)
