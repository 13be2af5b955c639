"""Which IngressClass ``existing`` uses without ``--sticky-ingress`` (no cluster: a fake API)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pytest_sticky.kube.ingress import DiscoveredClass, NoClass, discover_class


def ingress_class(name: str, controller: str, default: bool = False) -> Any:
    annotations = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else None
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, annotations=annotations), spec=SimpleNamespace(controller=controller)
    )


class FakeNetworking:
    def __init__(self, classes: list[Any] | None) -> None:
        self.classes = classes

    def list_ingress_class(self) -> Any:
        if self.classes is None:
            raise PermissionError("forbidden")
        return SimpleNamespace(items=self.classes)


def discover(*classes: Any) -> DiscoveredClass | NoClass:
    return discover_class(SimpleNamespace(networking=FakeNetworking(list(classes))))  # type: ignore[arg-type]


def test_the_default_class_is_chosen_among_several() -> None:
    found = discover(ingress_class("a", "x.io/a"), ingress_class("nginx", "k8s.io/ingress-nginx", default=True))
    assert found == DiscoveredClass("nginx", "k8s.io/ingress-nginx")


def test_the_only_class_is_chosen_without_a_default() -> None:
    assert discover(ingress_class("traefik", "traefik.io/ingress-controller")) == DiscoveredClass(
        "traefik", "traefik.io/ingress-controller"
    )


@pytest.mark.parametrize(
    ("classes", "reason"),
    [
        ([], "no ingress"),
        ([ingress_class("a", "x.io/a"), ingress_class("b", "x.io/b")], "no ingress"),
        (
            [
                ingress_class("sticky-test-2", "k8s.io/ingress-nginx", True),
                ingress_class("sticky-test-1", "x.io/a", True),
            ],
            "no ingress: IngressClasses sticky-test-1, sticky-test-2 are all marked default, and pytest-sticky "
            "does not guess; name one with --sticky-ingress=nginx|traefik --sticky-ingress-class=NAME "
            "--sticky-ingress-url=URL",
        ),
    ],
    ids=["none", "two-without-a-default", "two-defaults"],
)
def test_no_class_is_guessed(classes: list[Any], reason: str) -> None:
    assert discover(*classes) == NoClass(reason)


def test_a_class_list_that_cannot_be_read_is_no_ingress() -> None:
    found = discover_class(SimpleNamespace(networking=FakeNetworking(None)))  # type: ignore[arg-type]
    assert found == NoClass("no ingress (the IngressClasses cannot be listed)")
