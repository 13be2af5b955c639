"""The shape of a row of the behaviour table: what one affinity implementation does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AfterDeletion = Literal["new-cookie", "same-cookie", "no-cookie"]
Expires = Literal["per-response", "at-config-load", "unsupported", "n/a"]

INGRESS_NGINX = "ingress-nginx"
TRAEFIK = "traefik"


@dataclass(frozen=True)
class AffinityBehaviour:
    implementation: str
    """Key of this row, e.g. ``haproxy`` or ``traefik-3.7``."""
    default_cookie_name: str | None
    """The cookie's name when nothing configures it (``None``: derived per route, or no cookie)."""
    cookie_path: str | None
    """``Path`` attribute the proxy sets (``None``: no cookie, or the location's path)."""
    http_only: bool
    secure_on_https: bool
    """``Secure`` over HTTPS without any annotation saying so."""
    same_site: str | None
    """``SameSite`` on plain HTTP, or ``None`` when the proxy sets none."""
    after_serving_pod_deleted: AfterDeletion
    """What the client's affinity cookie does when the pod it pins to is deleted."""
    source: str
    """The row's main source (repository, tag, files)."""
    product: str = ""
    """The implementation without version or mode: ``ingress-nginx``, ``traefik``, ``haproxy``..."""
    version: str = ""
    """The release line the row describes (``1.15``, ``3.7``); "" when the row is not versioned."""
    read_at: str = ""
    """The upstream tag the cited files were read at."""
    mode: str = ""
    """The ``affinity-mode`` this row describes (ingress-nginx rows), else ""."""
    cookie_annotations: frozenset[str] = frozenset()
    """``nginx.ingress.kubernetes.io/session-cookie-*`` suffixes the implementation honours."""
    affinity_modes: tuple[str, ...] = ()
    """``affinity-mode`` values it implements (Ingress controllers only)."""
    unimplemented_mode_behaves_as: str = ""
    """What an ``affinity-mode`` it does not implement does instead ("" when it implements them all)."""
    expires: Expires = "n/a"
    """``session-cookie-expires``: computed on each Set-Cookie, once when the config loads, or not at all."""
    secure_false_stays_secure_on_https: bool = False
    """``session-cookie-secure: "false"`` over HTTPS still yields ``Secure``."""
    cookie_value: str = ""
    """A regular expression the affinity cookie's value matches (its shape tells implementations apart)."""
    supported_kubernetes: tuple[str, ...] = ()
    """Kubernetes minors its maintainers support for this version (empty: not stated or not applicable)."""
    pins_survive_membership_change: bool = True
    """A client pinned to a pod that stays keeps that pod when other pods leave, join or come back
    on a new address (False: a hash ring re-divides and moves some clients between pods that stayed)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Field name -> upstream file and line (at ``read_at``) or document the cell comes from."""

    @property
    def label(self) -> str:
        """What the run says its expectations came from, e.g. ``traefik 3.7 (read at v3.7.9)``."""
        text = f"{self.product or self.implementation} {self.version}".strip()
        if self.mode:
            text += f" affinity-mode {self.mode}"
        return f"{text} (read at {self.read_at})" if self.read_at else text

    def honours(self, annotation_suffix: str) -> bool:
        return annotation_suffix in self.cookie_annotations

    def behaves_as_mode(self, mode: str) -> str:
        """The ``affinity-mode`` that actually applies when an Ingress asks for ``mode``."""
        if mode in self.affinity_modes or not self.unimplemented_mode_behaves_as:
            return mode
        return self.unimplemented_mode_behaves_as

    def cite(self, name: str) -> str:
        return self.sources.get(name, self.source)


@dataclass(frozen=True)
class SessionPersistenceBehaviour:
    """How an implementation meets GEP-1619's planned conformance cases."""

    implementation: str
    weighted_backends_stick: bool
    """A session stays on one backend of a weighted rule (False: the backend is drawn per request)."""
    header_issued: bool
    """Header persistence: the gateway sends the session header on the first answer (False: the client picks it)."""
    source: str
