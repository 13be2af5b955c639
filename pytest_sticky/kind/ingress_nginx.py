"""ingress-nginx on kind: the upstream kind manifest, pinned by tag and sha256, applied and waited for.

ingress-nginx is retired upstream (no releases after controller-v1.15.1, March 2026); this is
its last release. The manifest is downloaded at run time from the tag, checked against its
sha256, and cached in the user's cache directory; ``--sticky-ingress-manifest=PATH`` installs
from a local file instead (air-gapped machines; it is not checked, so that it may point at a
mirror's images).

Ready means: the controller pod is Ready, the admission Jobs have finished (they delete
themselves when done: ``ttlSecondsAfterFinished: 0``), and a server-side dry-run create of an
Ingress gets an answer from the validating webhook instead of a webhook call failure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pytest_sticky import downloads, progress
from pytest_sticky.downloads import cached_or_fetched, download
from pytest_sticky.errors import SetupError
from pytest_sticky.kube.connection import Kube, api_error
from pytest_sticky.kube.diagnostics import describe_namespace
from pytest_sticky.kube.install import apply_objects, deployment_exists, parse_manifest, wait_pods_ready
from pytest_sticky.kube.waits import fatal_reason, watch_until
from pytest_sticky.nodes.cache import cache_dir
from pytest_sticky.waiting import WaitAborted, WaitTimeout, wait_until

TAG = "controller-v1.15.1"
MANIFEST_URL = (
    f"https://raw.githubusercontent.com/kubernetes/ingress-nginx/{TAG}/deploy/static/provider/kind/deploy.yaml"
)
MANIFEST_SHA256 = "2a3ae008c8786431115502644e77ab398fdebfb721a5d1195ed3089cde3299df"
DOWNLOAD_TIMEOUT = 30.0

NAMESPACE = "ingress-nginx"
DEPLOYMENT = "ingress-nginx-controller"
CONTROLLER_SELECTOR = "app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller"
ADMISSION_JOBS = ("ingress-nginx-admission-create", "ingress-nginx-admission-patch")
PROBE_NAME = "pytest-sticky-webhook-probe"


sha256 = downloads.sha256
"""The hex sha256 of a manifest's bytes."""


def cached_manifest_path() -> Path:
    return cache_dir("ingress-nginx") / f"{TAG}-kind-deploy.yaml"


def verify(data: bytes, url: str) -> None:
    got = sha256(data)
    if got != MANIFEST_SHA256:
        raise SetupError(
            f"refusing to install ingress-nginx: the manifest from {url} has sha256 {got}, expected "
            f"{MANIFEST_SHA256} ({TAG}). It was changed or corrupted on the way; nothing was applied. "
            "Download it yourself and pass --sticky-ingress-manifest=PATH to install from a file you trust"
        )


def fetch_manifest() -> str:
    """The pinned manifest: from the cache when its checksum holds, else downloaded, checked, cached."""
    return cached_or_fetched(cached_manifest_path(), MANIFEST_SHA256, _download_manifest)


def _download_manifest() -> bytes:
    url = MANIFEST_URL
    response = download(
        url,
        what=f"the ingress-nginx manifest from {url}",
        phase=f"downloading the ingress-nginx {TAG} manifest",
        timeout=DOWNLOAD_TIMEOUT,
        advice=". Without access to it, download it elsewhere and pass --sticky-ingress-manifest=PATH",
    )
    verify(response.content, url)
    return response.content


def manifest(path: str) -> tuple[list[dict[str, Any]], str]:
    """(objects, where they came from): the user's file, or the pinned upstream manifest."""
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SetupError(f"--sticky-ingress-manifest={path}: cannot read it: {exc}") from None
        note = "the pinned upstream file" if sha256(data) == MANIFEST_SHA256 else f"sha256 {sha256(data)[:12]}…"
        return parse_manifest(data.decode(), path), f"{path} ({note})"
    return parse_manifest(fetch_manifest(), MANIFEST_URL), f"{TAG} ({MANIFEST_URL})"


def install(kube: Kube, *, manifest_path: str, timeout: float) -> str:
    """Install ingress-nginx unless it runs already; wait until it and its webhook answer. Return its source."""
    if deployment_exists(kube, NAMESPACE, DEPLOYMENT):
        origin = "already installed"
    else:
        objects, origin = manifest(manifest_path)
        with progress.phase(f"installing ingress-nginx from {origin}"):
            apply_objects(kube, objects)
    deadline = time.monotonic() + timeout
    wait_admission_jobs(kube, timeout=timeout)
    wait_pods_ready(
        kube,
        NAMESPACE,
        CONTROLLER_SELECTOR,
        what="the ingress-nginx controller to be Ready",
        timeout=max(1.0, deadline - time.monotonic()),
    )
    wait_webhook(kube, timeout=max(1.0, deadline - time.monotonic()))
    return origin


def job_state(job: Any) -> str:
    """``complete``, ``failed`` or ``running``."""
    for condition in (job.status.conditions or []) if job.status else []:
        if condition.status == "True" and condition.type in ("Complete", "SuccessCriteriaMet"):
            return "complete"
        if condition.status == "True" and condition.type in ("Failed", "FailureTarget"):
            return "failed: " + (condition.message or condition.reason or "")
    return "running"


def admission_jobs_check(kube: Kube) -> Any:
    def check(jobs: dict[str, Any]) -> bool | None:
        waiting = []
        for name in ADMISSION_JOBS:
            job = jobs.get(name)
            if job is None:
                continue  # finished and removed (ttlSecondsAfterFinished: 0), or not part of this manifest
            state = job_state(job)
            if state.startswith("failed"):
                raise WaitAborted(f"Job {NAMESPACE}/{name} {state}")
            if state == "running":
                waiting.append(name)
        if not waiting:
            return True
        pods = kube.core.list_namespaced_pod(NAMESPACE, label_selector=f"job-name in ({','.join(waiting)})")
        for pod in pods.items:
            reason = fatal_reason(pod)
            if reason:
                raise WaitAborted(reason)
        return None

    return check


def wait_admission_jobs(kube: Kube, *, timeout: float) -> None:
    from kubernetes import client

    batch = client.BatchV1Api(kube.api_client)
    what = "the ingress-nginx admission Jobs (webhook certificate) to complete"
    try:
        watch_until(
            batch.list_namespaced_job,
            admission_jobs_check(kube),
            what=what,
            timeout=timeout,
            describe=lambda: describe_namespace(kube.core, NAMESPACE),
            namespace=NAMESPACE,
        )
    except WaitAborted as exc:
        raise SetupError(f"{what}: {exc}\n{describe_namespace(kube.core, NAMESPACE)}") from None
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None


def probe_ingress(namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": PROBE_NAME, "namespace": namespace},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "webhook-probe.sticky.test",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": PROBE_NAME, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def webhook_answer(message: str) -> bool:
    """Whether an API error shows the webhook answering: a denial is an answer; ``failed calling webhook``
    (no endpoints yet, connection refused, a certificate not yet patched in) is not."""
    return "denied the request" in message.lower()


def probe_webhook(kube: Kube, namespace: str = NAMESPACE) -> str | None:
    """None when a dry-run create of an Ingress was answered (admitted or denied), else the webhook failure."""
    from kubernetes.client.exceptions import ApiException

    try:
        kube.networking.create_namespaced_ingress(
            namespace, probe_ingress(namespace), dry_run="All", _request_timeout=15
        )
    except ApiException as exc:
        message = _message(exc)
        if webhook_answer(message):
            return None
        if exc.status in (401, 403, 404, 422):
            raise api_error(exc, kube, f"dry-run create Ingress {namespace}/{PROBE_NAME}") from None
        return f"{exc.status} {exc.reason}: {message}"
    except Exception as exc:  # noqa: BLE001 (connection trouble: keep trying until the deadline)
        return f"{type(exc).__name__}: {exc}"
    return None


def _message(exc: Any) -> str:
    import json

    try:
        body = json.loads(exc.body)
    except (TypeError, ValueError):
        return str(exc.body or "")
    return str(body.get("message", "")) if isinstance(body, dict) else str(body)


def wait_webhook(kube: Kube, *, timeout: float) -> None:
    last: list[str | None] = [None]

    def answered() -> bool:
        last[0] = probe_webhook(kube)
        return last[0] is None

    try:
        wait_until(
            answered,
            what="the ingress-nginx admission webhook to answer",
            timeout=timeout,
            interval=0.5,
            max_interval=2.0,
            state=lambda: f"last dry-run create of an Ingress: {last[0]}\n{describe_namespace(kube.core, NAMESPACE)}",
        )
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None
