"""The pinned ingress-nginx manifest for tests, wherever they run: never a silently empty list.

Where it comes from, in order:

1. ``../shared/reference/upstream/`` beside the checkout (the developers' machines), checked
   against the plugin's pinned sha256;
2. the copy the plugin itself downloaded and verified (its cache,
   ``$XDG_CACHE_HOME/pytest-sticky/ingress-nginx/``), when its checksum holds;
3. a download through the plugin's own path (``ingress_nginx.fetch_manifest``: the tag's URL, the
   pinned sha256, then the cache), only with ``STICKY_TEST_DOWNLOAD=1`` (GitHub's unit job sets
   it; elsewhere tests send nothing beyond loopback).

Without any of them, the tests that need it skip and say which of the three was missing and how
to get one; their number does not change (they are parametrised over a fixed list of names).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress_nginx
from pytest_sticky.kube.install import parse_manifest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "upstream"
SHARED_COPY = REFERENCE / "ingress-nginx-controller-v1.15.1-kind-deploy.yaml"
DOWNLOAD_ENV = "STICKY_TEST_DOWNLOAD"
CACHED_COPY = ingress_nginx.cached_manifest_path()
"""The plugin's cache as the run found it (read at import: some tests point XDG_CACHE_HOME elsewhere)."""

# The objects of ingress-nginx controller-v1.15.1's deploy/static/provider/kind/deploy.yaml, in its
# order, written here from the upstream file (not read from it), so that the test count is fixed.
INGRESS_NGINX_OBJECTS = [
    "Namespace/ingress-nginx",
    "ServiceAccount/ingress-nginx",
    "ServiceAccount/ingress-nginx-admission",
    "Role/ingress-nginx",
    "Role/ingress-nginx-admission",
    "ClusterRole/ingress-nginx",
    "ClusterRole/ingress-nginx-admission",
    "RoleBinding/ingress-nginx",
    "RoleBinding/ingress-nginx-admission",
    "ClusterRoleBinding/ingress-nginx",
    "ClusterRoleBinding/ingress-nginx-admission",
    "ConfigMap/ingress-nginx-controller",
    "Service/ingress-nginx-controller",
    "Service/ingress-nginx-controller-admission",
    "Deployment/ingress-nginx-controller",
    "Job/ingress-nginx-admission-create",
    "Job/ingress-nginx-admission-patch",
    "IngressClass/nginx",
    "ValidatingWebhookConfiguration/ingress-nginx-admission",
]


class Unavailable(Exception):
    """The pinned manifest could not be had here; the message says what was tried and how to get it."""


@functools.cache
def _pinned() -> tuple[bytes, str] | Unavailable:
    """(the manifest's bytes, where they came from), verified against the plugin's sha256; or why not
    (cached too: one download attempt per run)."""
    try:
        return _find()
    except Unavailable as exc:
        return exc


def _find() -> tuple[bytes, str]:
    tried = []
    if SHARED_COPY.is_file():
        data = SHARED_COPY.read_bytes()
        ingress_nginx.verify(data, str(SHARED_COPY))
        return data, str(SHARED_COPY)
    tried.append(f"{SHARED_COPY} is absent")
    cached = CACHED_COPY
    if cached.is_file() and ingress_nginx.sha256(cached.read_bytes()) == ingress_nginx.MANIFEST_SHA256:
        return cached.read_bytes(), f"{cached} (the plugin's verified download)"
    tried.append(f"the plugin's cache {cached} holds no verified copy")
    if os.environ.get(DOWNLOAD_ENV) == "1":
        try:
            return ingress_nginx.fetch_manifest().encode(), f"{ingress_nginx.MANIFEST_URL} (downloaded, verified)"
        except SetupError as exc:
            tried.append(f"the download failed: {exc}")
    else:
        tried.append(f"downloading is off ({DOWNLOAD_ENV} is not 1)")
    raise Unavailable(
        f"the pinned ingress-nginx {ingress_nginx.TAG} manifest is not available here: {'; '.join(tried)}. "
        f"Set {DOWNLOAD_ENV}=1 where {ingress_nginx.MANIFEST_URL} is reachable (the plugin checks its sha256 "
        f"and caches it), or put the file at {cached}"
    )


def pinned_manifest() -> tuple[bytes, str]:
    """The verified manifest and where it came from; :class:`Unavailable` saying why not."""
    found = _pinned()
    if isinstance(found, Unavailable):
        raise found
    return found


def pinned_objects() -> dict[str, dict[str, Any]]:
    data, origin = pinned_manifest()
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in parse_manifest(data.decode(), origin)}
