"""What each affinity implementation does, in one table keyed by implementation and version.

The e2e suite asserts against this table instead of hard-coding one proxy's behaviour, so the
same tests hold on HAProxy, Caddy, ingress-nginx, Traefik, the OpenShift router and kube-proxy.
Every row names the tag its sources were read at (``read_at``), and every cell that a test
asserts names the upstream file and line (or document) it comes from (``sources``; the key is
the field's name). Rows were checked against upstream in 2026-12; see each row's ``read_at``.

Tests take their *expectations* from here, but spell upstream *names* (annotations, flags,
cookie names) as literals of their own, so that a typo made consistently in this table and in
the manifests still fails a test.
"""

from __future__ import annotations

import re
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


NGINX_115 = "kubernetes/ingress-nginx@controller-v1.15.1"
TRAEFIK_36 = "traefik/traefik@v3.6.24"
TRAEFIK_37 = "traefik/traefik@v3.7.9"

INGRESS_NGINX_115_ANNOTATIONS = frozenset(
    {
        "name",
        "path",
        "domain",
        "expires",
        "max-age",
        "samesite",
        "secure",
        "conditional-samesite-none",
        "change-on-failure",
    }
)
TRAEFIK_36_ANNOTATIONS = frozenset({"name", "path", "domain", "max-age", "samesite", "secure"})
TRAEFIK_37_ANNOTATIONS = TRAEFIK_36_ANNOTATIONS | {"expires"}

INGRESS_NGINX_COOKIE_VALUE = r"[^|]+\|[0-9a-f]{32}"
TRAEFIK_COOKIE_VALUE = r"[0-9a-f]{16}"


def _ingress_nginx_115(mode: str) -> AffinityBehaviour:
    sticky = f"{NGINX_115} rootfs/etc/nginx/lua/balancer/sticky.lua"
    main = f"{NGINX_115} internal/ingress/annotations/sessionaffinity/main.go"
    after = (
        f"{sticky}:173-189 (the cookie's key is re-hashed on the ring of {NGINX_115} "
        "rootfs/etc/nginx/lua/balancer/sticky_balanced.lua, which always finds an upstream: no new cookie)"
        if mode == "balanced"
        else f"{sticky}:176-195 with rootfs/etc/nginx/lua/util/nodemap.lua:93 (the endpoint's md5 key is gone: "
        "a new upstream is picked and set_cookie writes a new cookie)"
    )
    return AffinityBehaviour(
        implementation=f"ingress-nginx-1.15-{mode}",
        product=INGRESS_NGINX,
        version="1.15",
        read_at="controller-v1.15.1",
        mode=mode,
        default_cookie_name="INGRESSCOOKIE",
        cookie_path=None,
        http_only=True,
        secure_on_https=True,
        same_site=None,
        after_serving_pod_deleted="same-cookie" if mode == "balanced" else "new-cookie",
        source=f"{NGINX_115} rootfs/etc/nginx/lua/balancer/sticky_{mode}.lua, sticky.lua, sessionaffinity/main.go",
        cookie_annotations=INGRESS_NGINX_115_ANNOTATIONS,
        affinity_modes=("balanced", "persistent"),
        expires="per-response",
        secure_false_stays_secure_on_https=True,
        cookie_value=INGRESS_NGINX_COOKIE_VALUE,
        supported_kubernetes=("1.31", "1.32", "1.33", "1.34", "1.35"),
        sources={
            "default_cookie_name": f"{main}:38 (defaultAffinityCookieName), :204",
            "cookie_path": f"{sticky}:75-78 (no session-cookie-path: ngx.var.location_path)",
            "http_only": f"{sticky}:99 (httponly = true)",
            "secure_on_https": f"{sticky}:90-93 (secure unset: ngx.var.https == 'on')",
            "same_site": f"{sticky}:80-88 (SameSite only when session-cookie-samesite is set)",
            "after_serving_pod_deleted": after,
            "cookie_annotations": f"{main}:36-65",
            "affinity_modes": f"{main}:79-86 (ValidateOptions balanced, persistent)",
            "expires": f"{sticky}:104-107 (ngx.time() + expires on every set_cookie)",
            "secure_false_stays_secure_on_https": (
                f"{NGINX_115} test/e2e/annotations/affinity.go:467-489 "
                "('should set secure in cookie with provided false annotation on https')"
            ),
            "cookie_value": (
                f"{sticky}:16,97 (value .. '|' .. backend_key), :208 (backend_key = md5, 32 hex); key: "
                "sticky_balanced.lua:42 ('%s.%s.%s' of time, pid, random) or util/nodemap.lua:20 (md5)"
            ),
            "supported_kubernetes": (
                f"{NGINX_115} README.md:52 (Supported Versions table: 1.35, 1.34, 1.33, 1.32, 1.31)"
            ),
        },
    )


def _traefik_36() -> AffinityBehaviour:
    provider = f"{TRAEFIK_36} pkg/provider/kubernetes/ingress-nginx/kubernetes.go"
    docs = f"{TRAEFIK_36} docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md"
    return AffinityBehaviour(
        implementation="traefik-3.6",
        product=TRAEFIK,
        version="3.6",
        read_at="v3.6.24",
        default_cookie_name="INGRESSCOOKIE",
        cookie_path="/",
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="new-cookie",
        source=f"{TRAEFIK_36} Kubernetes Ingress NGINX provider ({provider}:541-553; {docs})",
        cookie_annotations=TRAEFIK_36_ANNOTATIONS,
        affinity_modes=("persistent",),
        unimplemented_mode_behaves_as="persistent",
        expires="unsupported",
        secure_false_stays_secure_on_https=False,
        cookie_value=TRAEFIK_COOKIE_VALUE,
        sources={
            "default_cookie_name": f"{provider}:544",
            "cookie_path": f"{provider}:549",
            "http_only": f"{provider}:546",
            "secure_on_https": f"{provider}:545 (false unless session-cookie-secure)",
            "same_site": f"{provider}:547",
            "after_serving_pod_deleted": (
                f"{TRAEFIK_36} pkg/server/service/loadbalancer/sticky.go:99 (StickyHandler finds no server for the "
                "value) and the balancer writes a new cookie for the server it picks"
            ),
            "cookie_annotations": (
                f"{TRAEFIK_36} pkg/provider/kubernetes/ingress-nginx/annotations.go:28-34; {docs}:288-299"
            ),
            "affinity_modes": f"{docs}:293 (affinity-mode: 'Not implemented; silently ignored.'), :332",
            "unimplemented_mode_behaves_as": f"{docs}:293, :332 ('Only persistent mode is supported')",
            "expires": f"{docs}:419 (session-cookie-expires under Unsupported Annotations); annotations.go:28-34",
            "secure_false_stays_secure_on_https": f"{provider}:545 (Secure is exactly the annotation)",
            "cookie_value": f"{TRAEFIK_36} pkg/server/service/loadbalancer/sticky.go:169-170 (sha256, 16 hex)",
        },
    )


def _traefik_37() -> AffinityBehaviour:
    translator = f"{TRAEFIK_37} pkg/provider/kubernetes/ingress-nginx/translator.go"
    docs = f"{TRAEFIK_37} docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md"
    sticky = f"{TRAEFIK_37} pkg/server/service/loadbalancer/sticky.go"
    return AffinityBehaviour(
        implementation="traefik-3.7",
        product=TRAEFIK,
        version="3.7",
        read_at="v3.7.9",
        default_cookie_name="INGRESSCOOKIE",
        cookie_path="/",
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="new-cookie",
        source=f"{TRAEFIK_37} Kubernetes Ingress NGINX provider ({translator}:369-393; {docs})",
        cookie_annotations=TRAEFIK_37_ANNOTATIONS,
        affinity_modes=("persistent",),
        unimplemented_mode_behaves_as="persistent",
        expires="at-config-load",
        secure_false_stays_secure_on_https=False,
        cookie_value=TRAEFIK_COOKIE_VALUE,
        sources={
            "default_cookie_name": f"{translator}:376",
            "cookie_path": f"{translator}:389",
            "http_only": f"{translator}:385",
            "secure_on_https": f"{translator}:384 (false unless session-cookie-secure)",
            "same_site": f"{translator}:386",
            "after_serving_pod_deleted": (
                f"{TRAEFIK_37} pkg/server/service/loadbalancer/wrr/wrr.go:151-190 (no server for the cookie: "
                "nextServer, then WriteStickyCookie)"
            ),
            "cookie_annotations": f"{TRAEFIK_37} pkg/provider/kubernetes/ingress-nginx/annotations.go:48-56",
            "affinity_modes": (
                f"{docs}:306 (affinity-mode: 'Only persistent mode supported; balanced not supported.'); "
                "annotations.go has no affinity-mode field"
            ),
            "unimplemented_mode_behaves_as": f"{docs}:306, :427 ('Only persistent mode is supported')",
            "expires": f"{sticky}:65-66 (time.Now() + expires when the handler is built, not per response)",
            "secure_false_stays_secure_on_https": f"{translator}:384 (Secure is exactly the annotation)",
            "cookie_value": f"{sticky}:175-185 (first 16 hex characters of sha256 of the server)",
        },
    )


BEHAVIOURS: dict[str, AffinityBehaviour] = {
    b.implementation: b
    for b in (
        AffinityBehaviour(
            implementation="haproxy",
            product="haproxy",
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
            product="caddy",
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
        _ingress_nginx_115("balanced"),
        _ingress_nginx_115("persistent"),
        _traefik_36(),
        _traefik_37(),
        AffinityBehaviour(
            implementation="openshift-route",
            product="openshift-router",
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
            product="service-clientip",
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

INGRESS_VERSIONS: dict[str, tuple[str, ...]] = {INGRESS_NGINX: ("1.15",), TRAEFIK: ("3.6", "3.7")}
"""The versions the table has rows for, oldest first; the last is what pytest-sticky installs on kind."""


def ingress_behaviour(product: str, *, version: str = "", mode: str = "balanced") -> AffinityBehaviour:
    """The row for an Ingress controller: ``product`` ingress-nginx or traefik, ``version`` a release line
    (default: the newest the table knows), ``mode`` the Ingress's affinity-mode (ingress-nginx only)."""
    versions = INGRESS_VERSIONS[product]
    chosen = version if version in versions else versions[-1]
    if product == INGRESS_NGINX:
        return BEHAVIOURS[f"ingress-nginx-{chosen}-{mode}"]
    return BEHAVIOURS[f"traefik-{chosen}"]


def release_line(image_or_version: str) -> str:
    """``traefik:v3.7.9`` or ``v1.15.1@sha256:...`` -> ``3.7`` / ``1.15`` ("" when there is no version)."""
    found = re.search(r"v?(\d+)\.(\d+)(?:\.\d+)?", image_or_version.rsplit("@", 1)[0].rsplit(":", 1)[-1])
    return f"{found.group(1)}.{found.group(2)}" if found else ""


# ---- BEGIN Envoy and Gateway API session persistence rows (issue 11; kept apart for merging) ----
ENVOY_GATEWAY_SOURCE = (
    "envoyproxy/gateway v1.9.0 internal/xds/translator/session_persistence.go (stateful_session cookie state: "
    "name, path from the route's path match l.117, ttl only when set l.122, strict unset = false); "
    "internal/gatewayapi/route.go:1168 (default name httproute-<ns>-<name>-rule-<i>), :1181-1188 (ttl only for "
    "Permanent with absoluteTimeout)"
)
ENVOY_RING_HASH_MEMBERSHIP = (
    "envoyproxy/envoy 0d2acde source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc:146-148 "
    "(hashes per host = scale x the host's normalized weight: with N hosts each has ~min_ring_size/N points, "
    "so a host leaving or joining changes every other host's point count), :179-188 (each point is hashed "
    "from the host's address + '_' + i: a pod back on a new address takes new points); chooseHost :79-126 "
    "(the first point at or after the key's hash): a browser of a pod that stayed can land on another "
    "point's host when the ring is rebuilt"
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
        pins_survive_membership_change=False,
        sources={"pins_survive_membership_change": ENVOY_RING_HASH_MEMBERSHIP},
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
