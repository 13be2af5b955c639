"""Reading ``Set-Cookie`` headers as a browser would see their attributes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str | bool] = field(default_factory=dict)
    """Lower-cased attribute names; flags (``httponly``, ``secure``) map to True."""

    @property
    def path(self) -> str | None:
        value = self.attributes.get("path")
        return value if isinstance(value, str) else None

    @property
    def http_only(self) -> bool:
        return self.attributes.get("httponly") is True

    @property
    def secure(self) -> bool:
        return self.attributes.get("secure") is True

    @property
    def same_site(self) -> str | None:
        value = self.attributes.get("samesite")
        return value if isinstance(value, str) else None


def parse_set_cookie(header: str) -> SetCookie:
    first, *rest = header.split(";")
    name, _, value = first.strip().partition("=")
    attributes: dict[str, str | bool] = {}
    for part in rest:
        key, eq, val = part.strip().partition("=")
        if key:
            attributes[key.lower()] = val.strip() if eq else True
    return SetCookie(name.strip(), value.strip(), attributes)


def find_cookie(headers: list[str], name: str | None) -> SetCookie | None:
    """The ``Set-Cookie`` for ``name`` among ``headers`` (any cookie when ``name`` is None)."""
    for header in headers:
        cookie = parse_set_cookie(header)
        if name is None or cookie.name == name:
            return cookie
    return None
