"""Installing cluster-wide components (ingress controllers) from multi-document manifests.

Unlike the demo app, which goes into a fresh namespace, these manifests carry their own
namespaces and cluster-scoped objects, and may meet a cluster where an earlier run installed
them: an object that already exists is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import Kube, api_error
from pytest_sticky.kube.waits import wait_ready_pods


def load_manifest(path: str | Path) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML file (empty documents skipped)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SetupError(f"cannot read the manifest {path}: {exc}") from None
    return parse_manifest(text, str(path))


def parse_manifest(text: str, origin: str) -> list[dict[str, Any]]:
    import yaml

    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise SetupError(f"{origin} is not valid YAML: {exc}") from None
    objects = [doc for doc in documents if doc]
    for obj in objects:
        if not isinstance(obj, dict) or not {"apiVersion", "kind", "metadata"} <= obj.keys():
            raise SetupError(
                f"{origin}: a document is not a Kubernetes object (apiVersion, kind, metadata): {obj!r:.200}"
            )
    return objects


def object_name(obj: dict[str, Any]) -> str:
    namespace = obj["metadata"].get("namespace")
    return f"{obj['kind']}/{namespace + '/' if namespace else ''}{obj['metadata']['name']}"


def apply_objects(kube: Kube, objects: list[dict[str, Any]]) -> list[str]:
    """Create each object in order (cluster-scoped or in its own namespace); return those created.

    An object that already exists (409) is kept unchanged; any other refusal is a SetupError
    that names the object.
    """
    from kubernetes import utils
    from kubernetes.client.exceptions import ApiException

    created = []
    for obj in objects:
        namespace = obj["metadata"].get("namespace") or "default"
        try:
            utils.create_from_dict(kube.api_client, obj, namespace=namespace)
        except utils.FailToCreateError as exc:
            errors = [e for e in exc.api_exceptions if getattr(e, "status", None) != 409]
            if errors:
                raise api_error(errors[0], kube, f"create {object_name(obj)}") from None
            continue
        except ApiException as exc:
            if exc.status == 409:
                continue
            raise api_error(exc, kube, f"create {object_name(obj)}") from None
        except Exception as exc:  # noqa: BLE001 (connection errors, unknown kinds: translated)
            raise api_error(exc, kube, f"create {object_name(obj)}") from None
        created.append(object_name(obj))
    return created


def deployment_exists(kube: Kube, namespace: str, name: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    try:
        kube.apps.read_namespaced_deployment(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise api_error(exc, kube, f"read Deployment {namespace}/{name}") from None
    return True


def wait_pods_ready(
    kube: Kube, namespace: str, selector: str, *, what: str, timeout: float, count: int = 1
) -> list[str]:
    """Watch the pods matching ``selector`` until ``count`` are Ready; fail fast on a pull or crash loop."""
    return wait_ready_pods(kube.core, namespace, selector, count, what=what, timeout=timeout, name_the_wait=True)
