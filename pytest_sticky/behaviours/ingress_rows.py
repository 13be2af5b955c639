"""Rows for the Ingress controllers (ingress-nginx, Traefik), each citing the upstream files it was read from."""

from __future__ import annotations

from pytest_sticky.behaviours.model import INGRESS_NGINX, TRAEFIK, AffinityBehaviour, Expires

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


def _traefik(
    version: str, read_at: str, *, source: str, annotations: frozenset[str], expires: Expires, sources: dict[str, str]
) -> AffinityBehaviour:
    """A row of Traefik's Kubernetes Ingress NGINX provider: what every version shares, and what it does not."""
    return AffinityBehaviour(
        implementation=f"traefik-{version}",
        product=TRAEFIK,
        version=version,
        read_at=read_at,
        default_cookie_name="INGRESSCOOKIE",
        cookie_path="/",
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted="new-cookie",
        source=source,
        cookie_annotations=annotations,
        affinity_modes=("persistent",),
        unimplemented_mode_behaves_as="persistent",
        expires=expires,
        secure_false_stays_secure_on_https=False,
        cookie_value=TRAEFIK_COOKIE_VALUE,
        sources=sources,
    )


def _cookie_attribute_sources(
    file: str, *, name: int, path: int, http_only: int, secure: int, same_site: int
) -> dict[str, str]:
    """The lines of ``file`` that set each attribute of Traefik's affinity cookie."""
    return {
        "default_cookie_name": f"{file}:{name}",
        "cookie_path": f"{file}:{path}",
        "http_only": f"{file}:{http_only}",
        "secure_on_https": f"{file}:{secure} (false unless session-cookie-secure)",
        "same_site": f"{file}:{same_site}",
    }


def _traefik_36() -> AffinityBehaviour:
    provider = f"{TRAEFIK_36} pkg/provider/kubernetes/ingress-nginx/kubernetes.go"
    docs = f"{TRAEFIK_36} docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md"
    return _traefik(
        "3.6",
        "v3.6.24",
        source=f"{TRAEFIK_36} Kubernetes Ingress NGINX provider ({provider}:541-553; {docs})",
        annotations=TRAEFIK_36_ANNOTATIONS,
        expires="unsupported",
        sources={
            **_cookie_attribute_sources(provider, name=544, path=549, http_only=546, secure=545, same_site=547),
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
    return _traefik(
        "3.7",
        "v3.7.9",
        source=f"{TRAEFIK_37} Kubernetes Ingress NGINX provider ({translator}:369-393; {docs})",
        annotations=TRAEFIK_37_ANNOTATIONS,
        expires="at-config-load",
        sources={
            **_cookie_attribute_sources(translator, name=376, path=389, http_only=385, secure=384, same_site=386),
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


INGRESS_ROWS: tuple[AffinityBehaviour, ...] = (
    _ingress_nginx_115("balanced"),
    _ingress_nginx_115("persistent"),
    _traefik_36(),
    _traefik_37(),
)
