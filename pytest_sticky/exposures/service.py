"""The app's Service, reached from this machine (NodePort, else ClusterIP): no cookie affinity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_sticky.behaviours import BEHAVIOURS
from pytest_sticky.exposures.base import Exposed, Target

if TYPE_CHECKING:
    from pytest_sticky.app import AppSpec
    from pytest_sticky.kube.ingress import IngressRoute


@dataclass(frozen=True)
class ServiceExposure:
    why_no_ingress: str = ""
    """Why the app is on its Service (said after the path in "reached via"); "" when none was asked for."""

    @property
    def ingress(self) -> IngressRoute | None:
        return None

    def expose(self, target: Target, app_name: str, spec: AppSpec, ready: list[str]) -> Exposed:
        from pytest_sticky.kube.service_reach import reach_service

        service = target.kube.core.read_namespaced_service(app_name, target.namespace)
        url, reached_via = reach_service(target.kube, service, ready, target.timeout)
        if self.why_no_ingress:
            reached_via += f"; {self.why_no_ingress}"
        return Exposed(url=url, reached_via=reached_via, behaviour=BEHAVIOURS["service-clientip"])
