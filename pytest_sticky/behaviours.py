"""What each affinity implementation does, in one table, each row naming its source.

The e2e suite asserts against this table instead of hard-coding one proxy's behaviour, so the
same tests hold on HAProxy, Caddy, ingress-nginx, Traefik, the OpenShift router and kube-proxy.
Facts come from ``shared/reference/sticky-behaviours.md``; the sources are the upstream files
named in ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AfterDeletion = Literal["new-cookie", "same-cookie", "no-cookie"]


@dataclass(frozen=True)
class AffinityBehaviour:
    implementation: str
    """Key of this row, e.g. ``haproxy``."""
    default_cookie_name: str | None
    """The cookie's name when nothing configures it (``None``: derived per route, or no cookie)."""
    cookie_path: str | None
    """``Path`` attribute the proxy sets (``None``: no cookie, or the location's path)."""
    http_only: bool
    secure_on_https: bool
    same_site: str | None
    """``SameSite`` on plain HTTP, or ``None`` when the proxy sets none."""
    after_serving_pod_deleted: AfterDeletion
    """What the client's affinity cookie does when the pod it pins to is deleted."""
    source: str
    cookie_annotations: frozenset[str] = frozenset()
    """``nginx.ingress.kubernetes.io/session-cookie-*`` suffixes the implementation honours."""
    affinity_modes: tuple[str, ...] = ()
    """``affinity-mode`` values it implements (Ingress controllers only)."""


NGINX_COOKIE_ANNOTATIONS = frozenset({"name", "path", "domain", "expires", "max-age", "samesite", "secure"})
"""[kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md, internal/ingress/annotations/
sessionaffinity/main.go]"""

BEHAVIOURS: dict[str, AffinityBehaviour] = {
    b.implementation: b
    for b in (
        AffinityBehaviour(
            implementation="haproxy",
            default_cookie_name=None,  # OpenShift: md5 of the route key unless annotated
            cookie_path="/",
            http_only=True,
            secure_on_https=True,
            same_site=None,
            after_serving_pod_deleted="new-cookie",
            source=(
                "openshift/router images/router/haproxy/conf/haproxy-config.template "
                "(cookie <name> insert indirect nocache httponly; option redispatch); "
                "HAProxy configuration.txt 'cookie' (insert only when no valid cookie for the server)"
            ),
        ),
        AffinityBehaviour(
            implementation="caddy",
            default_cookie_name="lb",
            cookie_path="/",
            http_only=True,
            secure_on_https=True,
            same_site="Lax",
            after_serving_pod_deleted="new-cookie",
            source=(
                "caddyserver/caddy modules/caddyhttp/reverseproxy/selectionpolicies.go "
                "(CookieHashSelection: HMAC of the dial address; fallback picks and sets a new cookie)"
            ),
        ),
        AffinityBehaviour(
            implementation="ingress-nginx-balanced",
            default_cookie_name="INGRESSCOOKIE",
            cookie_path=None,
            http_only=True,
            secure_on_https=True,
            same_site=None,
            after_serving_pod_deleted="same-cookie",
            source="kubernetes/ingress-nginx rootfs/etc/nginx/lua/balancer/sticky_balanced.lua",
            cookie_annotations=NGINX_COOKIE_ANNOTATIONS,
            affinity_modes=("balanced", "persistent"),
        ),
        AffinityBehaviour(
            implementation="ingress-nginx-persistent",
            default_cookie_name="INGRESSCOOKIE",
            cookie_path=None,
            http_only=True,
            secure_on_https=True,
            same_site=None,
            after_serving_pod_deleted="new-cookie",
            source="kubernetes/ingress-nginx rootfs/etc/nginx/lua/balancer/sticky_persistent.lua",
            cookie_annotations=NGINX_COOKIE_ANNOTATIONS,
            affinity_modes=("balanced", "persistent"),
        ),
        AffinityBehaviour(
            implementation="traefik-nginx-provider",
            default_cookie_name="INGRESSCOOKIE",
            cookie_path="/",
            http_only=True,
            secure_on_https=False,
            same_site=None,
            after_serving_pod_deleted="new-cookie",
            source=(
                "traefik/traefik docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md "
                "(Session Affinity: affinity-mode 'Only persistent mode supported'; session-cookie-name, -secure, "
                "-path, -domain, -samesite, -max-age, -expires supported)"
            ),
            cookie_annotations=NGINX_COOKIE_ANNOTATIONS,
            affinity_modes=("persistent",),
        ),
        AffinityBehaviour(
            implementation="openshift-route",
            default_cookie_name=None,
            cookie_path="/",
            http_only=True,
            secure_on_https=True,
            same_site=None,
            after_serving_pod_deleted="new-cookie",
            source="openshift/router haproxy-config.template; openshift/origin test/extended/router/cookies_otp.go",
        ),
        AffinityBehaviour(
            implementation="service-clientip",
            default_cookie_name=None,
            cookie_path=None,
            http_only=False,
            secure_on_https=False,
            same_site=None,
            after_serving_pod_deleted="no-cookie",
            source="kubernetes/kubernetes pkg/proxy/iptables/proxier.go (recent match per endpoint)",
        ),
    )
}
