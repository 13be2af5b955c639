"""Waiting on the cluster with watches and deadlines, failing fast when waiting cannot help.

Each wait lists the objects, then follows a watch from that list's resourceVersion; the check
runs on every event. On timeout the error carries what the waiter saw. A pod that cannot pull
its image or keeps crashing ends the wait at once, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pytest_sticky import progress
from pytest_sticky.waiting import WaitAborted, WaitTimeout

T = TypeVar("T")

FATAL_WAITING_REASONS = {
    "ErrImagePull": "the image cannot be pulled",
    "ImagePullBackOff": "the image cannot be pulled",
    "ErrImageNeverPull": "the image is not on the node and imagePullPolicy is Never",
    "InvalidImageName": "the image name is invalid",
    "CreateContainerConfigError": "the container's configuration is invalid",
    "CrashLoopBackOff": "the container keeps crashing",
}


def watch_until(
    list_call: Callable[..., Any],
    check: Callable[[dict[str, Any]], T | None],
    *,
    what: str,
    timeout: float,
    describe: Callable[[], str],
    **list_args: Any,
) -> T:
    """Watch ``list_call(**list_args)`` until ``check(objects by name)`` returns a value.

    ``check`` may raise WaitAborted to fail at once.
    """
    from kubernetes import watch
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    deadline = time.monotonic() + timeout
    with progress.phase(what):
        objects, version = _list_by_name(list_call, list_args)
        result = check(objects)
        while result is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(what, timeout, describe())
            watcher = watch.Watch()
            try:
                seconds = max(1, int(remaining))
                for event in watcher.stream(
                    list_call,
                    resource_version=version,
                    timeout_seconds=seconds,
                    # the server ends the watch after `seconds`; a stalled connection must not outlive it
                    _request_timeout=(10, seconds + 10),
                    **list_args,
                ):
                    obj = event["object"]
                    version = obj.metadata.resource_version
                    if event["type"] == "DELETED":
                        objects.pop(obj.metadata.name, None)
                    else:
                        objects[obj.metadata.name] = obj
                    result = check(objects)
                    if result is not None or time.monotonic() >= deadline:
                        break
            except ApiException as exc:
                if exc.status != 410:  # 410 Gone: our resourceVersion is too old; list again
                    raise WaitAborted(f"the watch for {what} failed: {exc.status} {exc.reason}") from None
                objects, version = _list_by_name(list_call, list_args)
                result = check(objects)
            except (HTTPError, OSError) as exc:
                raise WaitAborted(f"lost the connection to the API server while waiting for {what}: {exc}") from None
            finally:
                watcher.stop()
        return result


def _list_by_name(list_call: Callable[..., Any], list_args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The objects ``list_call(**list_args)`` lists, by name, and the list's resourceVersion (to watch from)."""
    listing = list_call(**list_args)
    return {item.metadata.name: item for item in listing.items}, listing.metadata.resource_version


def pod_ready(pod: Any) -> bool:
    if pod.metadata.deletion_timestamp is not None or pod.status is None:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def fatal_reason(pod: Any) -> str | None:
    """Why this pod will not become ready by waiting, or None."""
    statuses = (pod.status.container_statuses or []) + (pod.status.init_container_statuses or []) if pod.status else []
    for status in statuses:
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in FATAL_WAITING_REASONS:
            return (
                f"pod {pod.metadata.name}: {FATAL_WAITING_REASONS[waiting.reason]} "
                f"({waiting.reason}: {waiting.message or status.image})"
            )
    return None


def ready_pods_check(expected: int) -> Callable[[dict[str, Any]], list[str] | None]:
    def check(pods: dict[str, Any]) -> list[str] | None:
        for pod in pods.values():
            reason = fatal_reason(pod)
            if reason:
                raise WaitAborted(reason)
        ready = sorted(name for name, pod in pods.items() if pod_ready(pod))
        return ready if len(ready) >= expected else None

    return check


def wait_ready_pods(
    core: Any, namespace: str, selector: str, count: int, *, what: str, timeout: float, name_the_wait: bool = False
) -> list[str]:
    """Names of ``count`` Ready pods matching ``selector``; a SetupError with the namespace's
    state when they are not Ready in time or cannot become Ready (fails fast on a pull or crash
    loop; ``name_the_wait``: that error starts with ``what``)."""
    from pytest_sticky.errors import SetupError
    from pytest_sticky.kube.diagnostics import describe_namespace

    def describe() -> str:
        return describe_namespace(core, namespace)

    try:
        pods: list[str] = watch_until(
            core.list_namespaced_pod,
            ready_pods_check(count),
            what=what,
            timeout=timeout,
            describe=describe,
            namespace=namespace,
            label_selector=selector,
        )
    except WaitAborted as exc:
        raise SetupError(f"{what}: {exc}\n{describe()}" if name_the_wait else f"{exc}\n{describe()}") from None
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None
    return pods
