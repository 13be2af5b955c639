"""OpenShift Routes: render them from ``fixtures/openshift/``, read them back, wait for admission.

Facts encoded here come from openshift/router ``images/router/haproxy/conf/haproxy-config.template``:
the cookie name must match ``[a-zA-Z0-9_-]+`` (else the router falls back to its default name);
edge and reencrypt backends add ``secure attr SameSite=<Lax|Strict|None, default None>`` unless
``insecureEdgeTerminationPolicy`` is ``Allow``; passthrough backends are TCP, without a cookie.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from string import Template
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pytest_sticky.errors import SetupError
from pytest_sticky.fixture_files import fixtures_dir
from pytest_sticky.openshift.runner import OcRunner
from pytest_sticky.waiting import WaitAborted, WaitTimeout, wait_until

COOKIE_NAME_ANNOTATION = "router.openshift.io/cookie_name"
SAME_SITE_ANNOTATION = "router.openshift.io/cookie-same-site"
DISABLE_COOKIES_ANNOTATION = "haproxy.router.openshift.io/disable_cookies"
COOKIE_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
SAME_SITE = ("Lax", "Strict", "None")
TERMINATIONS = ("", "edge", "passthrough")
INSECURE_POLICIES = ("Redirect", "None")
"""``Allow`` is left out on purpose: the router then sets neither Secure nor SameSite."""
PASSTHROUGH_REASON = (
    "a passthrough Route is TCP to the router: it forwards the TLS stream to a pod unread "
    "(balance source by default), so it can neither set nor read an affinity cookie"
)


@dataclass(frozen=True)
class RouteSpec:
    """An OpenShift Route to the app's Service, with the router annotations asked for; checked
    against the router's rules when built."""

    name: str
    service: str
    app: str
    termination: str = ""
    """``""`` (plain HTTP), ``edge`` or ``passthrough``."""
    cookie_name: str | None = None
    """Value of ``router.openshift.io/cookie_name`` (None: the router's default name)."""
    same_site: str | None = None
    """Value of ``router.openshift.io/cookie-same-site`` (None: the router's default, ``None``)."""
    insecure_policy: str = "Redirect"
    disable_cookies: bool = False

    def __post_init__(self) -> None:
        if self.termination not in TERMINATIONS:
            raise ValueError(f"termination {self.termination!r}: valid values are {TERMINATIONS}")
        if self.cookie_name is not None and not COOKIE_NAME.match(self.cookie_name):
            raise ValueError(f"cookie name {self.cookie_name!r} must match {COOKIE_NAME.pattern} (the router's rule)")
        if self.same_site is not None and self.same_site not in SAME_SITE:
            raise ValueError(f"same_site {self.same_site!r}: valid values are {SAME_SITE}")
        if self.insecure_policy not in INSECURE_POLICIES:
            raise ValueError(f"insecure_policy {self.insecure_policy!r}: valid values are {INSECURE_POLICIES}")
        if self.termination != "edge" and self.same_site is not None:
            raise ValueError("router.openshift.io/cookie-same-site applies to edge (and reencrypt) routes only")

    @property
    def template(self) -> str:
        return {"": "route", "edge": "route-edge", "passthrough": "route-passthrough"}[self.termination]

    @property
    def sets_cookie(self) -> bool:
        return self.termination != "passthrough" and not self.disable_cookies

    @property
    def scheme(self) -> str:
        return "https" if self.termination else "http"

    @property
    def no_cookie_reason(self) -> str:
        """Why this Route has no affinity cookie ("" when it has one)."""
        if self.termination == "passthrough":
            return f"Route {self.name}: {PASSTHROUGH_REASON}"
        if self.disable_cookies:
            return f"Route {self.name}: {DISABLE_COOKIES_ANNOTATION}=true removes the router's cookie"
        return ""


def render_route(spec: RouteSpec) -> dict[str, Any]:
    """The Route object of ``spec`` from ``fixtures/openshift/<template>.yaml``."""
    import yaml

    text = (fixtures_dir() / "openshift" / f"{spec.template}.yaml").read_text()
    filled = Template(text).substitute(
        name=spec.name,
        app=spec.app,
        service=spec.service,
        cookie_name=spec.cookie_name or "",
        same_site=spec.same_site or "",
        disable_cookies="true" if spec.disable_cookies else "",
        insecure_policy=spec.insecure_policy,
    )
    route: dict[str, Any] = yaml.safe_load(filled)
    metadata = route["metadata"]
    annotations = {k: v for k, v in metadata.pop("annotations", {}).items() if v != ""}
    if annotations:
        metadata["annotations"] = annotations
    return route


# -- reading a Route's status -------------------------------------------------------------------


def read_route(runner: OcRunner, project: str, name: str, timeout: float | None = None) -> dict[str, Any]:
    text: str = runner.call(
        f"read Route {name}",
        lambda oc: oc.selector(f"route/{name}").object_json(),
        project=project,
        timeout=timeout,
    )
    route: dict[str, Any] = json.loads(text)
    return route


def _admitted(ingress: dict[str, Any]) -> str | None:
    """``True``/``False`` of the ingress entry's Admitted condition (None: not reported)."""
    for condition in ingress.get("conditions") or []:
        if condition.get("type") == "Admitted":
            return str(condition.get("status"))
    return None


def admitted_host(route: dict[str, Any]) -> str | None:
    """The host of the first router that admitted the Route (None: none has, yet)."""
    for ingress in route.get("status", {}).get("ingress") or []:
        if _admitted(ingress) == "True" and ingress.get("host"):
            return str(ingress["host"])
    return None


def rejection(route: dict[str, Any]) -> str | None:
    """Why the Route will not be admitted by waiting: every router that reported refused it."""
    ingresses = route.get("status", {}).get("ingress") or []
    if not ingresses or any(_admitted(i) != "False" for i in ingresses):
        return None
    return "; ".join(
        f"router {i.get('routerName', '?')} refused it: "
        + ", ".join(
            f"{c.get('reason', '')}: {c.get('message', '')}".strip(": ")
            for c in i.get("conditions") or []
            if c.get("type") == "Admitted"
        )
        for i in ingresses
    )


def describe_status(route: dict[str, Any]) -> str:
    """The Route's spec in brief and every router's verdict (what a timeout shows)."""
    spec = route.get("spec", {})
    tls = spec.get("tls") or {}
    lines = [
        f"Route {route.get('metadata', {}).get('name')}: host {spec.get('host') or '(to be assigned)'}, "
        f"to {spec.get('to', {}).get('kind')}/{spec.get('to', {}).get('name')}, "
        f"tls {tls.get('termination', 'none')}"
    ]
    ingresses = route.get("status", {}).get("ingress") or []
    if not ingresses:
        lines.append(
            "status.ingress is empty: no router has reported on this Route (is a router running, and do its "
            "route and namespace selectors include this project?)"
        )
    for ingress in ingresses:
        lines.append(f"router {ingress.get('routerName', '?')}: host {ingress.get('host', '?')}")
        for c in ingress.get("conditions") or []:
            lines.append(
                f"  {c.get('type')}={c.get('status')}"
                + (f" ({c.get('reason')}: {c.get('message', '')})" if c.get("reason") else "")
                + (f" since {c['lastTransitionTime']}" if c.get("lastTransitionTime") else "")
            )
    return "\n".join(lines)


def wait_admitted(runner: OcRunner, project: str, name: str, timeout: float) -> str:
    """Wait until a router admits Route ``name``; its host. Fails at once when every router refused it."""
    seen: dict[str, Any] = {}

    def check() -> str | None:
        seen.clear()
        seen.update(read_route(runner, project, name, timeout=min(30.0, timeout)))
        refused = rejection(seen)
        if refused:
            raise WaitAborted(f"Route {name} in project {project} was not admitted: {refused}")
        return admitted_host(seen)

    try:
        return wait_until(
            check,
            what=f"Route {name} in project {project} to be admitted by a router",
            timeout=timeout,
            interval=0.2,
            max_interval=2.0,
            state=lambda: describe_status(seen) if seen else "(the Route could not be read)",
        )
    except WaitAborted as exc:
        raise SetupError(f"{exc}\n{describe_status(seen)}") from None
    except WaitTimeout as exc:
        raise SetupError(str(exc)) from None


def route_url(host: str, scheme: str, router_url: str = "") -> tuple[str, dict[str, str]]:
    """(URL, headers) that reach ``host`` through the router.

    Without ``router_url`` the host is looked up in DNS, as a browser would. With it (the router's
    HTTP address as seen from here, for hosts that do not resolve on this machine) requests go to
    that address with ``Host: <host>``; an HTTPS Route uses the same address over TLS (port 443
    when the HTTP address uses the default port 80).
    """
    if not router_url:
        return f"{scheme}://{host}/", {}
    parts = urlsplit(router_url)
    netloc = parts.netloc
    if scheme == "https" and parts.port in (None, 80) and parts.hostname:
        netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return urlunsplit((scheme, netloc, parts.path or "/", "", "")), {"Host": host}
