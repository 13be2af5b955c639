"""Requests sent from inside the cluster, by exec into a client pod (as the conformance tests do).

The host cannot reach ClusterIPs on kind or OpenShift; a pod can, everywhere.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import Kube

# Runs in the client pod with the stock image's python3: N requests, each on a new connection
# (a new source port, as separate clients would), printing the serving pod of each.
_SCRIPT = """
import json, sys, time, urllib.request
url, count, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
seen = []
for i in range(count):
    if i and pause:
        time.sleep(pause)
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            seen.append(response.headers.get("X-Pod-Name") or "?")
    except Exception as exc:
        seen.append("ERR " + type(exc).__name__ + ": " + str(exc))
print(json.dumps(seen))
"""


NON_INTERACTIVE = {"stdin": False, "tty": False, "stdout": True, "stderr": True}
"""An exec with no stdin and no TTY, whose stdout and stderr come back as one text."""


class InClusterClient:
    def __init__(self, kube: Kube, namespace: str, pod: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.pod = pod

    def exec(self, command: list[str], timeout: float = 120) -> str:
        from kubernetes.stream import stream

        try:
            exec_in_pod = self.kube.core.connect_get_namespaced_pod_exec
            output: Any = stream(
                exec_in_pod, self.pod, self.namespace, command=command, _request_timeout=timeout, **NON_INTERACTIVE
            )
        except Exception as exc:  # noqa: BLE001
            raise SetupError(f"exec in {self.namespace}/{self.pod} failed: {exc}") from None
        return str(output)

    def get_pods(self, url: str, count: int, *, pause: float = 0.0) -> list[str]:
        """Serving pod of each of ``count`` requests to ``url`` (``ERR ...`` for a failed one)."""
        output = self.exec(["python3", "-c", _SCRIPT, url, str(count), str(pause)], timeout=60 + count * (pause + 5))
        last = output.strip().splitlines()[-1] if output.strip() else ""
        try:
            pods = json.loads(last)
        except ValueError:
            raise SetupError(f"the in-cluster client printed no result: {output[-2000:]}") from None
        return [str(p) for p in pods]
