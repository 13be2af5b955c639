"""A local cluster with the demo app, as the plugin's fixtures start it, and a jar pinned to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from requests.cookies import RequestsCookieJar

from pytest_sticky.app import AppSpec
from pytest_sticky.client import StickyClient
from pytest_sticky.local.cluster import LocalApp, LocalCluster


@contextmanager
def local_app(proxy: str) -> Iterator[tuple[LocalCluster, LocalApp]]:
    """``LocalCluster(proxy=...)`` + ``deploy_app(AppSpec())``; closed (every PID stopped) on exit."""
    cluster = LocalCluster(proxy=proxy)
    try:
        app = cluster.deploy_app(AppSpec())
        yield cluster, app
    finally:
        cluster.close()


def pinned_jar(app: LocalApp) -> tuple[RequestsCookieJar, str, str]:
    """A jar holding the proxy's affinity cookie: (jar, cookie name, cookie value)."""
    jar = RequestsCookieJar()
    with StickyClient(app.url, jar) as client:
        first = client.get()
    if not first.ok:
        raise RuntimeError(f"the local app at {app.url} did not answer: {first}")
    name = app.cookie_name
    value = jar.get(name) if name is not None else None
    if name is None or value is None:
        raise RuntimeError(f"no affinity cookie in the jar after a first request: {first.set_cookie}")
    return jar, name, value
