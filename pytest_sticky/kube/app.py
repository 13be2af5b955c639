"""The demo app deployed on Kubernetes, seen through its Service or Ingress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_sticky.app import ServedPods, Store
from pytest_sticky.behaviours import AffinityBehaviour
from pytest_sticky.errors import SetupError
from pytest_sticky.exposures.base import Exposed
from pytest_sticky.kube.connection import Kube, api_error
from pytest_sticky.kube.diagnostics import namespace_sections
from pytest_sticky.kube.ingress import IngressRoute
from pytest_sticky.kube.waits import pod_ready, ready_pods_check, wait_ready_pods, watch_until
from pytest_sticky.waiting import WaitAborted, WaitTimeout


class KubeApp:
    def __init__(
        self,
        kube: Kube,
        namespace: str,
        *,
        name: str,
        store: Store,
        url: str,
        behaviour: AffinityBehaviour,
        cookie_name: str | None,
        reached_via: str,
        replicas: int,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.name = name
        self.store: Store = store
        self.url = url
        self.headers: dict[str, str] = {}
        self.ingress: IngressRoute | None = None
        self.diagnose_way_in: Callable[[], dict[str, str]] | None = None
        self.behaviour = behaviour
        self.cookie_name = cookie_name
        self.reached_via = reached_via
        self.served = ServedPods()
        self.replicas = replicas
        self.selector = f"app.kubernetes.io/name={name}"

    def reach(self, exposed: Exposed) -> None:
        """Reach the app the way ``exposed`` says (URL, headers, cookie, the row it is judged by)."""
        self.url = exposed.url
        self.headers = dict(exposed.headers)
        self.ingress = exposed.ingress
        self.behaviour = exposed.behaviour
        self.cookie_name = exposed.cookie_name
        self.reached_via = exposed.reached_via
        self.diagnose_way_in = exposed.diagnose

    # -- queries -----------------------------------------------------------------------------

    def pods(self) -> list[str]:
        listing = self.kube.core.list_namespaced_pod(self.namespace, label_selector=self.selector)
        return sorted(p.metadata.name for p in listing.items if pod_ready(p))

    def pod_uid(self, pod: str) -> str:
        return str(self._read_pod(pod).metadata.uid)

    def _read_pod(self, pod: str) -> Any:
        try:
            return self.kube.core.read_namespaced_pod(pod, self.namespace)
        except Exception as exc:  # noqa: BLE001
            raise api_error(exc, self.kube, f"read pod {self.namespace}/{pod}") from None

    def service(self) -> Any:
        return self.kube.core.read_namespaced_service(self.name, self.namespace)

    # -- actions -----------------------------------------------------------------------------

    def delete_pod(self, pod: str, grace_period: float) -> str:
        uid = self.pod_uid(pod)
        try:
            self.kube.core.delete_namespaced_pod(pod, self.namespace, grace_period_seconds=max(0, round(grace_period)))
        except Exception as exc:  # noqa: BLE001
            raise api_error(exc, self.kube, f"delete pod {self.namespace}/{pod}") from None
        return uid

    def wait_replaced(self, pod: str, old_uid: str, timeout: float) -> str:
        """Wait (watch) until ``pod`` is a new incarnation, Ready, and listed in the Endpoints."""

        def replaced(pods: dict[str, Any]) -> Any:
            current = pods.get(pod)
            if current is None or current.metadata.uid == old_uid:
                return None
            ready_pods_check(1)({pod: current})
            return current if pod_ready(current) else None

        try:
            new = self._watch_named(
                self.kube.core.list_namespaced_pod, pod, replaced, f"a replacement of {pod} to be Ready", timeout
            )
            self.wait_endpoints({new.status.pod_ip}, timeout=timeout)
        except WaitAborted as exc:
            raise SetupError(f"{exc}\n{self.describe()}") from None
        except WaitTimeout as exc:
            raise SetupError(str(exc)) from None
        return str(new.metadata.uid)

    def wait_ready(self, timeout: float) -> list[str]:
        pods = wait_ready_pods(
            self.kube.core,
            self.namespace,
            self.selector,
            self.replicas,
            what=f"{self.replicas} ready pods of StatefulSet {self.namespace}/{self.name}",
            timeout=timeout,
        )
        ips = set()
        for pod in self.kube.core.list_namespaced_pod(self.namespace, label_selector=self.selector).items:
            if pod.metadata.name in pods:
                ips.add(pod.status.pod_ip)
        self.wait_endpoints(ips, timeout=timeout)
        return pods

    def wait_endpoints(self, ips: set[str], timeout: float) -> None:
        """Wait until the Service's Endpoints list every address in ``ips`` as ready."""

        def listed(endpoints: dict[str, Any]) -> bool | None:
            ep = endpoints.get(self.name)
            ready = {a.ip for s in (ep.subsets or []) for a in (s.addresses or [])} if ep else set()
            return True if ips <= ready else None

        self._watch_named(
            self.kube.core.list_namespaced_endpoints,
            self.name,
            listed,
            f"Service {self.name} to route to {sorted(ips)}",
            timeout,
        )

    def _watch_named(
        self, list_fn: Callable[..., Any], name: str, check: Callable[[dict[str, Any]], Any], what: str, timeout: float
    ) -> Any:
        """Watch the object ``name`` of this namespace (listed by ``list_fn``) until ``check`` returns a value."""
        return watch_until(
            list_fn,
            check,
            what=what,
            timeout=timeout,
            describe=self.describe,
            namespace=self.namespace,
            field_selector=f"metadata.name={name}",
        )

    def scale(self, replicas: int, timeout: float) -> list[str]:
        """Scale the StatefulSet; return the ready pods once all ``replicas`` are ready and routed."""
        try:
            self.kube.apps.patch_namespaced_stateful_set(self.name, self.namespace, {"spec": {"replicas": replicas}})
        except Exception as exc:  # noqa: BLE001
            raise api_error(exc, self.kube, f"scale StatefulSet {self.namespace}/{self.name}") from None
        self.replicas = replicas
        return self.wait_ready(timeout)

    def rolling_restart(
        self, *, partition: int, grace_period: float, timeout: float, mark: Callable[[str], None]
    ) -> list[str]:
        from pytest_sticky.kube.rollout import rolling_restart

        return rolling_restart(self, partition=partition, grace_period=grace_period, timeout=timeout, mark=mark)

    def scale_to(self, replicas: int, *, timeout: float, mark: Callable[[str], None]) -> list[str]:
        from pytest_sticky.kube.rollout import scale_to

        return scale_to(self, replicas, timeout=timeout, mark=mark)

    def set_session_affinity(self, mode: str, timeout_seconds: int | None = None) -> None:
        spec: dict[str, Any] = {"sessionAffinity": mode}
        if mode == "ClientIP":
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": timeout_seconds or 10800}}
        else:
            spec["sessionAffinityConfig"] = None
        try:
            self.kube.core.patch_namespaced_service(self.name, self.namespace, {"spec": spec})
        except Exception as exc:  # noqa: BLE001
            raise api_error(exc, self.kube, f"patch Service {self.namespace}/{self.name}") from None

    # -- reports -----------------------------------------------------------------------------

    def describe(self) -> str:
        return "\n".join(f"--- {t}\n{text}" for t, text in self.diagnostics().items())

    def explain_unreachable(self) -> str:
        try:
            ready = self.pods()
        except Exception as exc:  # noqa: BLE001
            return f"cannot read the pods of {self.name}: {exc}"
        return "" if ready else f"no pod of {self.name} is ready in {self.namespace}"

    def diagnostics(self) -> dict[str, str]:
        sections = namespace_sections(self.kube.core, self.namespace)
        if self.diagnose_way_in is not None:
            sections.update(self.diagnose_way_in())
        return sections
