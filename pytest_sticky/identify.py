"""Which ingress implementation answered, told by what it does: the shape of its affinity cookie.

The IngressClass's ``spec.controller`` cannot tell: Traefik's Kubernetes Ingress NGINX provider
serves ``k8s.io/ingress-nginx`` classes too (traefik/traefik v3.7.9
pkg/provider/kubernetes/ingress-nginx/kubernetes.go:150, ``controllerClass`` default). The
cookie can:

- ingress-nginx writes ``<key>|<backend key>``, the backend key being an md5 (32 hex characters)
  (kubernetes/ingress-nginx controller-v1.15.1 rootfs/etc/nginx/lua/balancer/sticky.lua:16,97,208).
  In persistent mode ``<key>`` is an md5 too (util/nodemap.lua:20); in balanced mode it is
  ``<time>.<pid>.<random>`` (sticky_balanced.lua:42).
- Traefik writes the first 16 hex characters of a sha256 (traefik/traefik v3.7.9
  pkg/server/service/loadbalancer/sticky.go:175-185; the same in v3.6.24, :169-170).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_sticky.behaviours import INGRESS_NGINX, TRAEFIK

_MD5 = re.compile(r"[0-9a-f]{32}")
_INGRESS_NGINX = re.compile(r"(?P<key>[^|]+)\|(?P<backend>[0-9a-f]{32})")
_TRAEFIK = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Identified:
    product: str
    """``ingress-nginx`` or ``traefik``."""
    mode: str
    """The affinity-mode the value shows (ingress-nginx only), else ""."""
    evidence: str

    def describe(self) -> str:
        mode = f", affinity-mode {self.mode}" if self.mode else ""
        return f"{self.product}{mode} (identified by its affinity cookie: {self.evidence})"


def identify_cookie(value: str) -> Identified | None:
    """The implementation whose affinity cookie has this value's shape, or None when none matches."""
    value = value.strip().strip('"')
    found = _INGRESS_NGINX.fullmatch(value)
    if found is not None:
        mode = "persistent" if _MD5.fullmatch(found.group("key")) else "balanced"
        return Identified(INGRESS_NGINX, mode, f"value {value!r} is <key>|<32 hex>")
    if _TRAEFIK.fullmatch(value):
        return Identified(TRAEFIK, "", f"value {value!r} is 16 hex characters")
    return None
