"""Connecting to a cluster: which context, whether it is safe to use, and readable API errors.

The suite runs only against a context the user named explicitly (``--sticky-context``) or whose
name marks a test cluster (see ``looks_like_a_test_cluster``), so that a stray current-context
never points it at production.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from pytest_sticky.errors import SetupError

TEST_CONTEXT_PREFIXES = ("kind-", "k3d-")
"""Contexts kind and k3d write for the clusters they create."""
TEST_CONTEXT_WORDS = frozenset({"test", "ci", "sticky", "dev", "devcluster", "minikube"})
"""Whole words (between separators) that mark a test cluster: never a substring, so that
``latest-prod``, ``attestation-prod``, ``contest`` or ``cities`` are not taken for one."""
WORD_SEPARATORS = re.compile(r"[-_.:/@]+")
TEST_CONTEXT_RULE = (
    f"a name starting with {' or '.join(TEST_CONTEXT_PREFIXES)}, or with one of the words "
    f"{', '.join(sorted(TEST_CONTEXT_WORDS))} between separators (- _ . : / @)"
)


def looks_like_a_test_cluster(context: str) -> bool:
    """Whether a context's name marks a test cluster (prefix or whole word, case-insensitive)."""
    name = context.lower()
    if name.startswith(TEST_CONTEXT_PREFIXES):
        return True
    return not TEST_CONTEXT_WORDS.isdisjoint(WORD_SEPARATORS.split(name))


@dataclass
class Kube:
    """The API clients of one context."""

    api_client: Any
    core: Any
    apps: Any
    networking: Any
    context: str
    server: str

    def close(self) -> None:
        self.api_client.close()


def _contexts(kubeconfig: str | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except (config.ConfigException, OSError, TypeError) as exc:
        env = os.environ.get("KUBECONFIG", "")
        if kubeconfig:
            where = kubeconfig
        elif env:
            where = f"the kubeconfig KUBECONFIG={env}"
        else:
            where = "the default kubeconfig ~/.kube/config (KUBECONFIG is not set)"
        raise SetupError(
            f"cannot read {where}: {exc}. A Kubernetes cluster needs a kubeconfig with a context for it: "
            "pass --sticky-kubeconfig=PATH or set KUBECONFIG"
        ) from None
    return list(contexts or []), active


def choose_context(kubeconfig: str | None, requested: str | None) -> str:
    """The context to use, refusing a current-context that does not look like a test cluster."""
    contexts, active = _contexts(kubeconfig)
    names = [c["name"] for c in contexts]
    if requested:
        if requested not in names:
            raise SetupError(f"--sticky-context={requested}: no such context; contexts: {', '.join(names) or 'none'}")
        return requested
    if active is None:
        raise SetupError("the kubeconfig has no current-context; name one with --sticky-context")
    name: str = active["name"]
    if not looks_like_a_test_cluster(name):
        raise SetupError(
            f"refusing to use current-context {name!r}: it does not look like a test cluster "
            f"({TEST_CONTEXT_RULE} does). Name it explicitly with "
            f"--sticky-context={name} if this cluster is meant for tests."
        )
    return name


def connect(kubeconfig: str | None, context: str) -> Kube:
    from kubernetes import client, config

    try:
        api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
    except (config.ConfigException, OSError, ValueError) as exc:
        raise SetupError(f"cannot load context {context!r}: {exc}") from None
    api_client.configuration.retries = 1
    kube = Kube(
        api_client=api_client,
        core=client.CoreV1Api(api_client),
        apps=client.AppsV1Api(api_client),
        networking=client.NetworkingV1Api(api_client),
        context=context,
        server=str(api_client.configuration.host),
    )
    check_reachable(kube)
    return kube


def check_reachable(kube: Kube) -> str:
    """The server's version; a SetupError that says why when the API cannot be used."""
    from kubernetes import client

    try:
        info = client.VersionApi(kube.api_client).get_code(_request_timeout=10)
    except Exception as exc:  # noqa: BLE001 (translated below)
        raise api_error(exc, kube, "get the server version") from None
    return str(info.git_version)


def api_error(exc: BaseException, kube: Kube, doing: str) -> SetupError:
    """Turn a client exception into a message that says what to do about it."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    where = f"the API server {kube.server} (context {kube.context})"
    if isinstance(exc, ApiException):
        message = _api_message(exc)
        if exc.status == 401:
            return SetupError(
                f"{where} rejected the credentials while trying to {doing} (401 Unauthorized): "
                f"the token or client certificate is wrong or expired; log in again. {message}"
            )
        if exc.status == 403:
            return SetupError(f"missing RBAC permission: could not {doing}: {message}")
        return SetupError(f"could not {doing} on {where}: {exc.status} {exc.reason}: {message}")
    if isinstance(exc, HTTPError | OSError):
        return SetupError(f"cannot reach {where} to {doing}: {exc}. Is the cluster running?")
    return SetupError(f"could not {doing} on {where}: {type(exc).__name__}: {exc}")


def _api_message(exc: Any) -> str:
    try:
        body = json.loads(exc.body)
    except (TypeError, ValueError):
        return str(exc.body or "").strip()
    return str(body.get("message", "")) if isinstance(body, dict) else str(body)
