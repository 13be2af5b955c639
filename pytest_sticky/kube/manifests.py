"""Render the manifests under ``fixtures/kubernetes/`` with a run's values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

from pytest_sticky.fixture_files import demo_app_script, fixtures_dir

DEFAULT_APP_IMAGE = "python:3.12-slim"
DEFAULT_REDIS_IMAGE = "redis:7-alpine"
REDIS_PORT = 6379
"""The port of the ``redis`` Service in ``fixtures/kubernetes/redis.yaml``."""


@dataclass(frozen=True)
class Images:
    app: str = DEFAULT_APP_IMAGE
    redis: str = DEFAULT_REDIS_IMAGE
    pull_policy: str = "IfNotPresent"


def render(template: str, **values: object) -> list[dict[str, Any]]:
    """Objects of ``fixtures/kubernetes/<template>.yaml`` with ``${...}`` filled in."""
    import yaml

    text = (fixtures_dir() / "kubernetes" / f"{template}.yaml").read_text()
    filled = Template(text).substitute({k: str(v) for k, v in values.items()})
    return [doc for doc in yaml.safe_load_all(filled) if doc]


def drain_seconds(grace_period: int) -> str:
    """How long a terminating pod keeps answering: most of its grace period, leaving it 0.2 s
    to stop before the kubelet's SIGKILL."""
    return f"{max(grace_period - 0.2, 0.0):g}"


def app_objects(
    *,
    name: str,
    replicas: int,
    store: str,
    redis_addr: str,
    images: Images,
    grace_period: int,
    session_affinity: str = "ClientIP",
) -> list[dict[str, Any]]:
    objects = render(
        "app",
        name=name,
        replicas=replicas,
        store=store,
        redis_addr=redis_addr,
        app_image=images.app,
        pull_policy=images.pull_policy,
        grace_period=grace_period,
        drain_seconds=drain_seconds(grace_period),
        session_affinity=session_affinity,
    )
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            obj["data"] = {"hello.py": demo_app_script().read_text()}
    return objects


def redis_objects(images: Images) -> list[dict[str, Any]]:
    return render("redis", redis_image=images.redis, pull_policy=images.pull_policy)


def client_pod(images: Images) -> dict[str, Any]:
    return render("client-pod", app_image=images.app, pull_policy=images.pull_policy)[0]


NGINX_ANNOTATION = "nginx.ingress.kubernetes.io/"
AFFINITY_ANNOTATIONS = ("affinity", "affinity-mode", "session-cookie-")


def ingress_objects(
    *,
    name: str,
    host: str,
    ingress_class: str,
    cookie_name: str,
    affinity_mode: str,
    affinity: bool = True,
    annotations: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """The app's Ingress: cookie affinity unless ``affinity`` is False, plus ``annotations`` (an
    annotation given as None is left out, e.g. ``session-cookie-name`` for the controller's default)."""
    objects = render(
        "ingress",
        name=name,
        host=host,
        ingress_class=ingress_class,
        cookie_name=cookie_name,
        affinity_mode=affinity_mode,
    )
    meta = objects[0]["metadata"]
    if not affinity:
        meta["annotations"] = {
            key: value
            for key, value in meta["annotations"].items()
            if not key.removeprefix(NGINX_ANNOTATION).startswith(AFFINITY_ANNOTATIONS)
        }
    for key, value in (annotations or {}).items():
        if value is None:
            meta["annotations"].pop(key, None)
        else:
            meta["annotations"][key] = value
    return objects
