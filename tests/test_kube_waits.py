"""``watch_until`` against a fake list call and a fake watch: list, follow events, list again on 410."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_sticky.kube.waits import watch_until
from pytest_sticky.waiting import WaitAborted


def _obj(name: str, version: str) -> SimpleNamespace:
    return SimpleNamespace(metadata=SimpleNamespace(name=name, resource_version=version))


class FakeApi:
    """Each call lists ``listings[i]`` (names, resourceVersion); each watch streams ``streams[i]``."""

    def __init__(self, listings: list[tuple[list[str], str]], streams: list[list[tuple[str, str, str]] | int]) -> None:
        self.listings, self.streams = listings, streams
        self.calls: list[dict[str, Any]] = []
        self.watched_from: list[str] = []

    def list_call(self, **kwargs: Any) -> SimpleNamespace:
        self.calls.append(kwargs)
        names, version = self.listings.pop(0)
        return SimpleNamespace(
            items=[_obj(n, version) for n in names], metadata=SimpleNamespace(resource_version=version)
        )

    def stream(self, _call: Any, *, resource_version: str, **_: Any) -> Iterator[dict[str, Any]]:
        from kubernetes.client.exceptions import ApiException

        self.watched_from.append(resource_version)
        events = self.streams.pop(0)
        if isinstance(events, int):
            raise ApiException(status=events, reason="Gone" if events == 410 else "Forbidden")
        for kind, name, version in events:
            yield {"type": kind, "object": _obj(name, version)}


Listings = list[tuple[list[str], str]]
Streams = list[list[tuple[str, str, str]] | int]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Callable[[Listings, Streams], FakeApi]:
    from kubernetes import watch

    holder: dict[str, FakeApi] = {}

    class FakeWatch:
        def stream(self, call: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            return holder["api"].stream(call, **kwargs)

        def stop(self) -> None:
            pass

    monkeypatch.setattr(watch, "Watch", FakeWatch)

    def make(listings: Listings, streams: Streams) -> FakeApi:
        holder["api"] = FakeApi(listings, streams)
        return holder["api"]

    return make


def _three(objects: dict[str, Any]) -> list[str] | None:
    return sorted(objects) if len(objects) == 3 else None


def test_the_list_then_the_watch_from_its_version(api: Callable[[Listings, Streams], FakeApi]) -> None:
    fake = api(
        [(["a"], "10")], [[("ADDED", "b", "11"), ("DELETED", "a", "12"), ("ADDED", "c", "13"), ("ADDED", "d", "14")]]
    )
    assert watch_until(fake.list_call, _three, what="three", timeout=5, describe=str, namespace="ns") == ["b", "c", "d"]
    assert fake.calls == [{"namespace": "ns"}]
    assert fake.watched_from == ["10"]


def test_gone_lists_again_and_watches_from_the_new_version(api: Callable[[Listings, Streams], FakeApi]) -> None:
    fake = api([(["a"], "10"), (["a", "b"], "20")], [410, [("ADDED", "c", "21")]])
    assert watch_until(fake.list_call, _three, what="three", timeout=5, describe=str) == ["a", "b", "c"]
    assert fake.watched_from == ["10", "20"]
    assert len(fake.calls) == 2


def test_a_list_that_already_satisfies_does_not_watch(api: Callable[[Listings, Streams], FakeApi]) -> None:
    fake = api([(["a", "b", "c"], "10")], [])
    assert watch_until(fake.list_call, _three, what="three", timeout=5, describe=str) == ["a", "b", "c"]
    assert fake.watched_from == []


def test_another_api_error_aborts(api: Callable[[Listings, Streams], FakeApi]) -> None:
    fake = api([(["a"], "10")], [403])
    with pytest.raises(WaitAborted, match="the watch for three failed: 403 Forbidden"):
        watch_until(fake.list_call, _three, what="three", timeout=5, describe=str)
