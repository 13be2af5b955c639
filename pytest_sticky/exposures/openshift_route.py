"""An OpenShift Route through the cluster's router (HAProxy): created, admitted, then reached by its host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.exposures.base import Exposed

if TYPE_CHECKING:
    from pytest_sticky.openshift.project import RunProject
    from pytest_sticky.openshift.routes import RouteSpec


class RouteExposure:
    """Routes in ``project``; ``router_url`` is the router's address when hosts do not resolve here."""

    def __init__(self, project: RunProject, *, router_url: str, timeout: float) -> None:
        self.project = project
        self.router_url = router_url
        self.timeout = timeout

    def create(self, route: RouteSpec) -> None:
        """``oc create`` the Route (a router admits it while the pods start)."""
        from pytest_sticky.openshift.routes import render_route

        self.project.create([render_route(route)], f"Route {route.name}")

    def admitted(self, route: RouteSpec) -> Exposed:
        """Wait until a router admits ``route``; how the tests reach the app through it."""
        from pytest_sticky.openshift.routes import route_url, wait_admitted

        host = wait_admitted(self.project.run, self.project.name, route.name, self.timeout)
        url, headers = route_url(host, route.scheme, self.router_url)
        return Exposed(
            url=url,
            reached_via=(
                f"Route {route.name} ({route.termination or 'http'}, host {host}) through the OpenShift router"
                + (f" at {self.router_url}" if self.router_url else "")
            ),
            behaviour=BEHAVIOURS["openshift-route"],
            cookie_name=route.cookie_name if route.sets_cookie else None,
            headers=headers,
            host=host,
            diagnose=lambda: self.status_sections(route),
        )

    def status_sections(self, route: RouteSpec) -> dict[str, str]:
        """For a failure report: what the routers say of ``route`` now (admitted, rejected, why)."""
        from pytest_sticky.openshift.routes import describe_status, read_route

        title = f"Route {route.name}"
        try:
            return {title: describe_status(read_route(self.project.run, self.project.name, route.name, timeout=30))}
        except Exception as exc:  # noqa: BLE001 (a report section must not hide the others)
            return {title: f"could not read it: {exc}"}
