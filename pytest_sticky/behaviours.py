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


# ---- BEGIN Envoy and Gateway API session persistence rows (issue 11; kept apart for merging) ----
ENVOY_GATEWAY_SOURCE = (
    "envoyproxy/gateway v1.9.0 internal/xds/translator/session_persistence.go (stateful_session cookie state: "
    "name, path from the route's path match l.117, ttl only when set l.122, strict unset = false); "
    "internal/gatewayapi/route.go:1168 (default name httproute-<ns>-<name>-rule-<i>), :1181-1188 (ttl only for "
    "Permanent with absoluteTimeout)"
)
ENVOY_RING_HASH_SOURCE = (
    "istio/istio pilot/pkg/networking/core/route/route.go consistentHashToHashPolicy (DestinationRule "
    "consistentHash.httpCookie{name,path,ttl} -> Envoy RING_HASH + route hash_policy cookie); "
    "envoyproxy/envoy api/envoy/config/route/v3/route_components.proto HashPolicy.Cookie (a cookie is "
    "generated only with a ttl, from the downstream address; ttl 0 = session cookie); the ring drops a dead host "
    "and the cookie stays"
)

for _row in (
    AffinityBehaviour(
        implementation="envoy",
        default_cookie_name=None,  # Envoy Gateway derives it per route rule
        cookie_path=None,  # the route's path match
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="new-cookie",
        source="Envoy stateful_session as " + ENVOY_GATEWAY_SOURCE,
    ),
    AffinityBehaviour(
        implementation="envoy-gateway",
        default_cookie_name=None,
        cookie_path=None,
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="new-cookie",
        source=ENVOY_GATEWAY_SOURCE,
    ),
    AffinityBehaviour(
        implementation="envoy-ring-hash",
        default_cookie_name=None,
        cookie_path=None,
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="same-cookie",
        source=ENVOY_RING_HASH_SOURCE,
    ),
):
    BEHAVIOURS[_row.implementation] = _row


@dataclass(frozen=True)
class SessionPersistenceBehaviour:
    """How an implementation meets GEP-1619's planned conformance cases."""

    implementation: str
    weighted_backends_stick: bool
    """A session stays on one backend of a weighted rule (False: the backend is drawn per request)."""
    header_issued: bool
    """Header persistence: the gateway sends the session header on the first answer (False: the client picks it)."""
    source: str


SESSION_PERSISTENCE: dict[str, SessionPersistenceBehaviour] = {
    b.implementation: b
    for b in (
        SessionPersistenceBehaviour(
            "envoy",
            weighted_backends_stick=True,  # one cluster, a locality per backendRef (cluster.go:1040-1056)
            header_issued=True,  # HeaderBasedSessionState writes the header with the host
            source=ENVOY_GATEWAY_SOURCE,
        ),
        SessionPersistenceBehaviour(
            "envoy-gateway", weighted_backends_stick=True, header_issued=True, source=ENVOY_GATEWAY_SOURCE
        ),
        SessionPersistenceBehaviour(
            "envoy-ring-hash",
            weighted_backends_stick=False,  # weighted_clusters pick the cluster before the hash applies
            header_issued=False,  # hash_policy header only reads a header the client sends
            source=ENVOY_RING_HASH_SOURCE,
        ),
    )
}
# ---- END Envoy and Gateway API session persistence rows ----
