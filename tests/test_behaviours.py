"""The behaviour table, checked against values written here from the upstream sources it cites.

Each expected value below was read at the tag in the row (the files and lines are in the row's
``sources``); none is taken from the table itself, so a changed cell fails here first.
"""

from __future__ import annotations

import re

import pytest

from pytest_sticky.behaviours import BEHAVIOURS, ingress_behaviour, release_line

# (row key) -> (read_at, default cookie name, Path, HttpOnly, Secure on HTTPS, after deletion, expires,
#               secure "false" on HTTPS stays Secure)
EXPECTED = {
    "ingress-nginx-1.15-balanced": (
        "controller-v1.15.1", "INGRESSCOOKIE", None, True, True, "same-cookie", "per-response", True,
    ),
    "ingress-nginx-1.15-persistent": (
        "controller-v1.15.1", "INGRESSCOOKIE", None, True, True, "new-cookie", "per-response", True,
    ),
    "traefik-3.6": ("v3.6.24", "INGRESSCOOKIE", "/", True, False, "new-cookie", "unsupported", False),
    "traefik-3.7": ("v3.7.9", "INGRESSCOOKIE", "/", True, False, "new-cookie", "at-config-load", False),
}  # fmt: skip

ANNOTATIONS = {
    # internal/ingress/annotations/sessionaffinity/main.go:36-65 at controller-v1.15.1
    "ingress-nginx": {
        "name", "secure", "expires", "max-age", "path", "domain", "samesite", "conditional-samesite-none",
        "change-on-failure",
    },
    # pkg/provider/kubernetes/ingress-nginx/annotations.go:28-34 at v3.6.24
    "traefik-3.6": {"name", "secure", "path", "domain", "samesite", "max-age"},
    # pkg/provider/kubernetes/ingress-nginx/annotations.go:50-56 at v3.7.9
    "traefik-3.7": {"name", "secure", "path", "domain", "samesite", "max-age", "expires"},
}  # fmt: skip

ASSERTED_CELLS = (
    "default_cookie_name",
    "cookie_path",
    "http_only",
    "secure_on_https",
    "after_serving_pod_deleted",
    "cookie_annotations",
    "affinity_modes",
    "expires",
    "secure_false_stays_secure_on_https",
    "cookie_value",
)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_ingress_row_holds_what_upstream_says(key: str) -> None:
    row = BEHAVIOURS[key]
    assert (
        row.read_at,
        row.default_cookie_name,
        row.cookie_path,
        row.http_only,
        row.secure_on_https,
        row.after_serving_pod_deleted,
        row.expires,
        row.secure_false_stays_secure_on_https,
    ) == EXPECTED[key]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_asserted_cell_cites_a_file_and_line_at_the_rows_tag(key: str) -> None:
    row = BEHAVIOURS[key]
    for cell in ASSERTED_CELLS:
        citation = row.sources.get(cell, "")
        assert f"@{row.read_at} " in citation, f"{key}.{cell}: {citation!r} names no tag"
        assert re.search(r"\.(go|lua|md|yml|yaml):\d+", citation), f"{key}.{cell}: {citation!r} names no line"


def test_the_annotations_each_version_honours() -> None:
    assert BEHAVIOURS["ingress-nginx-1.15-balanced"].cookie_annotations == ANNOTATIONS["ingress-nginx"]
    assert BEHAVIOURS["ingress-nginx-1.15-persistent"].cookie_annotations == ANNOTATIONS["ingress-nginx"]
    assert BEHAVIOURS["traefik-3.6"].cookie_annotations == ANNOTATIONS["traefik-3.6"]
    assert BEHAVIOURS["traefik-3.7"].cookie_annotations == ANNOTATIONS["traefik-3.7"]


def test_traefik_ignores_balanced_and_behaves_as_persistent() -> None:
    # docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md:293 (v3.6.24), :306 (v3.7.9)
    for key in ("traefik-3.6", "traefik-3.7"):
        assert BEHAVIOURS[key].affinity_modes == ("persistent",)
        assert BEHAVIOURS[key].behaves_as_mode("balanced") == "persistent"
    assert BEHAVIOURS["ingress-nginx-1.15-balanced"].behaves_as_mode("balanced") == "balanced"


def test_ingress_nginx_1_15_names_the_kubernetes_versions_its_maintainers_support() -> None:
    # README.md:52 at controller-v1.15.1
    assert BEHAVIOURS["ingress-nginx-1.15-balanced"].supported_kubernetes == ("1.31", "1.32", "1.33", "1.34", "1.35")


def test_rows_are_found_by_implementation_version_and_mode() -> None:
    assert ingress_behaviour("ingress-nginx", version="1.15", mode="persistent").implementation == (
        "ingress-nginx-1.15-persistent"
    )
    assert ingress_behaviour("traefik", version="3.6").implementation == "traefik-3.6"
    assert ingress_behaviour("traefik", version="3.9").implementation == "traefik-3.7"  # unknown: the newest
    assert ingress_behaviour("traefik").label == "traefik 3.7 (read at v3.7.9)"
    assert ingress_behaviour("ingress-nginx", mode="balanced").label == (
        "ingress-nginx 1.15 affinity-mode balanced (read at controller-v1.15.1)"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [("traefik:v3.7.9", "3.7"), ("v1.15.1", "1.15"), ("traefik:v3.6.24@sha256:" + "ab" * 32, "3.6"), ("latest", "")],
)
def test_release_line(text: str, line: str) -> None:
    assert release_line(text) == line


def test_every_row_has_a_source() -> None:
    assert set(BEHAVIOURS) == {
        "haproxy",
        "caddy",
        "ingress-nginx-1.15-balanced",
        "ingress-nginx-1.15-persistent",
        "traefik-3.6",
        "traefik-3.7",
        "openshift-route",
        "service-clientip",
        "envoy",
        "envoy-ring-hash",
        "envoy-gateway",
    }
    for row in BEHAVIOURS.values():
        assert row.source, row.implementation


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--sticky-cluster=kind", "--sticky-ingress=traefik"],
            "*ingress=traefik (expectations of traefik 3.7 (read at v3.7.9), the version kind installs;*",
        ),
        (
            ["--sticky-cluster=kind", "--sticky-affinity-mode=persistent"],
            "*ingress=nginx (expectations of ingress-nginx 1.15 affinity-mode persistent "
            "(read at controller-v1.15.1), the version kind installs;*",
        ),
    ],
    ids=["traefik", "nginx"],
)
def test_the_run_header_says_where_the_ingress_expectations_come_from(
    pytester: pytest.Pytester, args: list[str], line: str
) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(*args, "--co")
    result.stdout.fnmatch_lines([line])


def test_only_the_hash_ring_moves_clients_of_pods_that_stay() -> None:
    # envoyproxy/envoy 0d2acde ring_hash_lb.cc:146-148 (each host's share of the ring depends on the
    # host count), :179-188 (points hashed from the host's address); a cookie names its pod on the others.
    assert BEHAVIOURS["envoy-ring-hash"].pins_survive_membership_change is False
    assert "ring_hash_lb.cc:146" in BEHAVIOURS["envoy-ring-hash"].cite("pins_survive_membership_change")
    for key in ("haproxy", "caddy", "envoy"):
        assert BEHAVIOURS[key].pins_survive_membership_change is True
