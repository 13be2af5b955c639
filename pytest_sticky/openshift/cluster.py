"""The ``openshift`` cluster: the logged-in ``oc`` session, a project, the demo app behind Routes.

Objects (the app from ``kube.manifests``, its Routes from ``fixtures/openshift/``) are created
with ``oc`` through ``openshift_client``. The app's pods are waited for, listed and killed by the
same :class:`KubeApp` the ``existing`` cluster uses, through a Kubernetes client built from the
kubeconfig context ``oc`` is logged in with, so there is one implementation of those.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from pytest_sticky.abilities import HasRoute
from pytest_sticky.app import AppSpec, Store
from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.errors import SetupError
from pytest_sticky.exposures.base import Exposed
from pytest_sticky.exposures.openshift_route import RouteExposure
from pytest_sticky.kube import manifests
from pytest_sticky.kube.app import KubeApp
from pytest_sticky.kube.connection import Kube, connect
from pytest_sticky.kube.namespace import RUN_LABEL, delete_workloads
from pytest_sticky.kube.workloads import RunsWorkloads, Workloads
from pytest_sticky.openshift.project import RunProject
from pytest_sticky.openshift.routes import (
    RouteSpec,
    admitted_host,
    describe_status,
    read_route,
)
from pytest_sticky.openshift.session import Session, login
from pytest_sticky.options import StickyConfig

ROUTE_RECHECK_S = 5.0


def cookie_name_for(route: str) -> str:
    """The affinity cookie's name we annotate on Route ``route``: ``sticky_<route>``."""
    return "sticky_" + re.sub(r"[^a-zA-Z0-9_-]", "_", route)


class OpenShiftApp(KubeApp):
    """The demo app as reached through one Route (several Routes may lead to the same pods)."""

    def __init__(self, kube: Kube, project: RunProject, *, name: str, store: Store, replicas: int, route: RouteSpec):
        super().__init__(
            kube,
            project.name,
            name=name,
            store=store,
            url="",
            behaviour=BEHAVIOURS["openshift-route"],
            cookie_name=route.cookie_name if route.sets_cookie else None,
            reached_via=f"Route {route.name} (not admitted yet)",
            replicas=replicas,
        )
        self.project = project
        self.route = route
        self.host = ""
        self.no_cookie_reason = route.no_cookie_reason
        """Why requests through this Route carry no affinity cookie ("" when they do)."""
        self._route_checked: tuple[float, str] = (float("-inf"), "")

    def through(self, route: RouteSpec) -> OpenShiftApp:
        """The same pods, reached through ``route``."""
        return OpenShiftApp(
            self.kube, self.project, name=self.name, store=self.store, replicas=self.replicas, route=route
        )

    def reach(self, exposed: Exposed) -> None:
        super().reach(exposed)
        self.host = exposed.host

    def _route_status(self) -> dict[str, Any]:
        return read_route(self.project.run, self.namespace, self.route.name, timeout=15)

    def explain_unreachable(self) -> str:
        reason = super().explain_unreachable()
        if reason:
            return reason
        # Called on every failed request: ask oc about the Route at most every few seconds.
        now = time.monotonic()
        if now - self._route_checked[0] > ROUTE_RECHECK_S:
            try:
                route = self._route_status()
                explanation = "" if admitted_host(route) else describe_status(route)
            except SetupError as exc:
                explanation = f"cannot read Route {self.route.name}: {exc}"
            self._route_checked = (now, explanation)
        return self._route_checked[1]


class OpenShiftCluster(RunsWorkloads):
    name = "openshift"

    def __init__(
        self,
        session: Session,
        project: RunProject,
        kube: Kube,
        *,
        images: manifests.Images,
        timeout: float,
        keep: bool,
        grace_period: int,
        router_url: str = "",
    ) -> None:
        self.session = session
        self.project = project
        self.kube = kube
        self.images = images
        self.timeout = timeout
        self.keep = keep
        self.grace_period = grace_period
        self.router_url = router_url
        self.workloads = Workloads(
            kube,
            project.name,
            images=images,
            timeout=timeout,
            grace_period=grace_period,
            create=project.create,
            suffix=project.suffix,
        )
        self.routes = RouteExposure(project, router_url=router_url, timeout=timeout)
        """How the tests reach the apps: Routes through the router (see :mod:`pytest_sticky.exposures`)."""
        self._routes: dict[tuple[str, str], OpenShiftApp] = {}

    @property
    def description(self) -> str:
        where = (
            f"project {self.project.name}"
            if self.project.owned
            else f"current project {self.project.name} (objects labelled {RUN_LABEL}={self.project.run_id}; "
            f"no project of its own: {self.project.refused})"
        )
        return f"openshift ({self.session.user} on {self.session.server}, {where})"

    # -- the app and its Routes --------------------------------------------------------------

    def deploy_app(self, spec: AppSpec) -> OpenShiftApp:
        name = spec.name + self.project.suffix
        self.workloads.app(name, spec)
        route = RouteSpec(name=name, service=name, app=name, cookie_name=cookie_name_for(name))
        app = OpenShiftApp(self.kube, self.project, name=name, store=spec.store, replicas=spec.replicas, route=route)
        self.routes.create(route)  # admitted while the pods start
        app.wait_ready(self.timeout)
        app.reach(self.routes.admitted(route))
        self._routes[(name, "")] = app
        return app

    def expose(
        self,
        app: HasRoute,
        variant: str,
        *,
        termination: str = "",
        cookie_name: str | None = "",
        same_site: str | None = None,
        insecure_policy: str = "Redirect",
        disable_cookies: bool = False,
    ) -> OpenShiftApp:
        """``app`` through another Route to its Service, named ``<app>-<variant>`` (made once per variant).

        ``cookie_name=""`` annotates ``sticky_<route>``; ``None`` leaves the router's default name.
        """
        key = (app.name, variant)
        if key not in self._routes:
            name = f"{app.name}-{variant}"
            route = RouteSpec(
                name=name,
                service=app.name,
                app=app.name,
                termination=termination,
                cookie_name=cookie_name_for(name) if cookie_name == "" else cookie_name,
                same_site=same_site,
                insecure_policy=insecure_policy,
                disable_cookies=disable_cookies,
            )
            seen = app.through(route)
            self.routes.create(route)
            seen.reach(self.routes.admitted(route))
            self._routes[key] = seen
        return self._routes[key]

    def close(self) -> None:
        self.workloads.forget_client()
        try:
            if self.keep:
                self.project.keep()
            else:
                if self.project.owned:
                    delete_workloads(self.kube, self.project.name)
                self.project.delete(timeout=self.timeout)
        finally:
            self.kube.close()


def make_openshift_cluster(config: StickyConfig) -> OpenShiftCluster:
    session = login(kubeconfig=config.kubeconfig or None, context=config.context or None, timeout=config.timeout)
    # oc reads KUBECONFIG when it runs; the Kubernetes client only when it is imported: say it.
    kube = connect(config.kubeconfig or os.environ.get("KUBECONFIG") or None, session.context)
    if kube.server.rstrip("/") != session.server.rstrip("/"):
        kube.close()
        raise SetupError(
            f"oc talks to {session.server} but context {session.context} of the kubeconfig points at {kube.server}; "
            "log in again, or name the kubeconfig with --sticky-kubeconfig"
        )
    try:
        project = RunProject(session)
    except SetupError:
        kube.close()
        raise
    return OpenShiftCluster(
        session,
        project,
        kube,
        images=manifests.Images(app=config.app_image, redis=config.redis_image, pull_policy=config.image_pull_policy),
        timeout=config.timeout,
        keep=config.keep_cluster,
        grace_period=config.grace_period,
        router_url=config.ingress_url,
    )
