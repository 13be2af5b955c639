"""One namespace per run: created labelled as ours, deleted (only if we made it) and waited for."""

from __future__ import annotations

import atexit
import secrets
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import Kube, api_error
from pytest_sticky.kube.waits import watch_until
from pytest_sticky.waiting import WaitTimeout

MANAGED_BY = {"app.kubernetes.io/managed-by": "pytest-sticky"}
RUN_LABEL = "pytest-sticky/run"


class RunNamespace:
    def __init__(self, kube: Kube, *, prefix: str = "sticky") -> None:
        self.kube = kube
        self.run_id = secrets.token_hex(4)
        self.name = f"{prefix}-{self.run_id}"
        self.deleted = False
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": self.name, "labels": {**MANAGED_BY, RUN_LABEL: self.run_id}},
        }
        try:
            kube.core.create_namespace(body)
        except Exception as exc:  # noqa: BLE001
            raise api_error(exc, kube, f"create namespace {self.name}") from None
        atexit.register(self._delete_quietly)  # also after Ctrl-C or an error in teardown

    def delete(self, timeout: float) -> None:
        """Delete the namespace and wait until it is gone; say what holds it if it is stuck."""
        from kubernetes.client.exceptions import ApiException

        if self.deleted:
            return
        delete_workloads(self.kube, self.name)
        try:
            self.kube.core.delete_namespace(self.name, grace_period_seconds=0)
        except ApiException as exc:
            if exc.status != 404:
                raise api_error(exc, self.kube, f"delete namespace {self.name}") from None
        try:
            watch_until(
                self.kube.core.list_namespace,
                lambda objects: True if self.name not in objects else None,
                what=f"namespace {self.name} to be deleted",
                timeout=timeout,
                describe=self.describe_stuck,
                field_selector=f"metadata.name={self.name}",
            )
        except WaitTimeout as exc:
            raise SetupError(f"namespace {self.name} is stuck terminating after {timeout:g} s:\n{exc.state}") from None
        self.deleted = True

    def describe_stuck(self) -> str:
        from kubernetes.client.exceptions import ApiException

        try:
            ns = self.kube.core.read_namespace(self.name)
        except ApiException as exc:
            return f"(cannot read the namespace: {exc.status} {exc.reason})"
        conditions = "\n".join(f"  {c.type}={c.status}: {c.message}" for c in (ns.status.conditions or []))
        left = []
        for kind, call in (
            ("pod", self.kube.core.list_namespaced_pod),
            ("configmap", self.kube.core.list_namespaced_config_map),
        ):
            for obj in call(self.name).items:
                finalizers = obj.metadata.finalizers or []
                left.append(f"  {kind}/{obj.metadata.name}" + (f" finalizers={finalizers}" if finalizers else ""))
        return f"phase {ns.status.phase}\nconditions:\n{conditions or '  none'}\nobjects left:\n" + (
            "\n".join(left) or "  none seen among pods and configmaps"
        )

    def _delete_quietly(self) -> None:
        if self.deleted:
            return
        delete_workloads(self.kube, self.name)
        try:
            self.kube.core.delete_namespace(self.name, grace_period_seconds=0)
            self.deleted = True
        except Exception:  # noqa: BLE001 (best effort at interpreter exit)
            pass

    def keep(self) -> None:
        """Leave the namespace for inspection (``--sticky-keep-cluster``)."""
        self.deleted = True


def apply(kube: Kube, namespace: str, obj: dict[str, Any]) -> Any:
    """Create ``obj`` in ``namespace`` (a fresh namespace: nothing to update)."""
    from kubernetes import utils

    try:
        return utils.create_from_dict(kube.api_client, obj, namespace=namespace)
    except utils.FailToCreateError as exc:
        raise api_error(exc.api_exceptions[0], kube, f"create {obj['kind']}/{obj['metadata']['name']}") from None
    except Exception as exc:  # noqa: BLE001
        raise api_error(exc, kube, f"create {obj['kind']}/{obj['metadata']['name']}") from None


def delete_workloads(kube: Kube, namespace: str) -> None:
    """Delete the namespace's controllers, then their pods at once.

    Pods left to the namespace controller take about a minute longer to go (its deletion backs
    off), so deleting a namespace starts here. Best effort: the namespace's deletion removes
    whatever this leaves.
    """
    try:
        for sts in kube.apps.list_namespaced_stateful_set(namespace).items:
            kube.apps.delete_namespaced_stateful_set(sts.metadata.name, namespace, propagation_policy="Orphan")
        for deploy in kube.apps.list_namespaced_deployment(namespace).items:
            kube.apps.delete_namespaced_deployment(deploy.metadata.name, namespace, propagation_policy="Orphan")
        for rs in kube.apps.list_namespaced_replica_set(namespace).items:
            kube.apps.delete_namespaced_replica_set(rs.metadata.name, namespace, propagation_policy="Orphan")
        kube.core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)
    except Exception:  # noqa: BLE001
        pass
