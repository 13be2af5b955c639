"""The state of a namespace as report sections: pod phases, Events, container log tails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sticky.kube.ingress import IngressRoute

LOG_LINES = 20
EVENTS = 40


def pod_phases(core: Any, namespace: str) -> str:
    lines = []
    for pod in core.list_namespaced_pod(namespace).items:
        status = pod.status
        conditions = ", ".join(f"{c.type}={c.status}" for c in (status.conditions or []))
        containers = "; ".join(
            f"{c.name}: {_state(c.state)} (restarts {c.restart_count})" for c in (status.container_statuses or [])
        )
        lines.append(
            f"{pod.metadata.name}: {status.phase}, ip {status.pod_ip or '-'}, uid {pod.metadata.uid}"
            + (", deleting" if pod.metadata.deletion_timestamp else "")
            + f"; {conditions}"
            + (f"; {containers}" if containers else "")
        )
    return "\n".join(lines) or "no pods"


def _state(state: Any) -> str:
    if state is None:
        return "unknown"
    if state.waiting:
        return f"waiting ({state.waiting.reason}: {state.waiting.message or ''})".replace(": )", ")")
    if state.terminated:
        return f"terminated ({state.terminated.reason}, exit {state.terminated.exit_code})"
    return "running"


def events(core: Any, namespace: str) -> str:
    items = core.list_namespaced_event(namespace).items
    items.sort(key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
    lines = [
        f"{(e.last_timestamp or e.event_time or e.metadata.creation_timestamp)} {e.type} "
        f"{e.involved_object.kind}/{e.involved_object.name} {e.reason}: {e.message}"
        for e in items[-EVENTS:]
    ]
    return "\n".join(lines) or "no events"


def log_tails(core: Any, namespace: str, label_selector: str = "", title: str = "log") -> dict[str, str]:
    tails: dict[str, str] = {}
    for pod in core.list_namespaced_pod(namespace, label_selector=label_selector).items:
        for container in pod.spec.containers:
            try:
                text = core.read_namespaced_pod_log(
                    pod.metadata.name, namespace, container=container.name, tail_lines=LOG_LINES, _request_timeout=10
                )
            except Exception as exc:  # noqa: BLE001 (a missing log must not hide the rest)
                text = f"(no log: {getattr(exc, 'reason', exc)})"
            tails[f"{title} {pod.metadata.name}/{container.name}"] = str(text).rstrip() or "(empty)"
    return tails


def namespace_sections(core: Any, namespace: str) -> dict[str, str]:
    """Pod phases, Events and log tails of ``namespace``."""
    try:
        return {
            f"pods in {namespace}": pod_phases(core, namespace),
            f"events in {namespace}": events(core, namespace),
            **log_tails(core, namespace),
        }
    except Exception as exc:  # noqa: BLE001
        return {f"namespace {namespace}": f"could not collect diagnostics: {exc}"}


def controller_sections(core: Any, ingress: IngressRoute) -> dict[str, str]:
    """Log tails of the ingress controller's pods, where the plugin knows them (``{}`` otherwise)."""
    if not ingress.controller_namespace:
        return {}
    try:
        return log_tails(
            core, ingress.controller_namespace, ingress.controller_selector or "", title="ingress controller log"
        )
    except Exception as exc:  # noqa: BLE001
        return {"ingress controller log": f"could not read it: {exc}"}


def describe_namespace(core: Any, namespace: str) -> str:
    sections = namespace_sections(core, namespace)
    return "\n".join(f"--- {title}\n{text}" for title, text in sections.items())
