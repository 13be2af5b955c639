"""Rows for the proxies that are not Ingress controllers: HAProxy, Caddy, the OpenShift router, kube-proxy."""

from __future__ import annotations

from pytest_sticky.behaviours.model import AffinityBehaviour

HAPROXY = AffinityBehaviour(
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
)

CADDY = AffinityBehaviour(
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
)

OPENSHIFT_ROUTE = AffinityBehaviour(
    implementation="openshift-route",
    product="openshift-router",
    default_cookie_name=None,
    cookie_path="/",
    http_only=True,
    secure_on_https=True,
    same_site=None,
    after_serving_pod_deleted="new-cookie",
    source="openshift/router haproxy-config.template; openshift/origin test/extended/router/cookies_otp.go",
)

SERVICE_CLIENTIP = AffinityBehaviour(
    implementation="service-clientip",
    product="service-clientip",
    default_cookie_name=None,
    cookie_path=None,
    http_only=False,
    secure_on_https=False,
    same_site=None,
    after_serving_pod_deleted="no-cookie",
    source="kubernetes/kubernetes pkg/proxy/iptables/proxier.go (recent match per endpoint)",
)
