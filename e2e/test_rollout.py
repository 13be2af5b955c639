"""Sessions through churn: many browsers at once while the app is rolled out or scaled.

Each test states what it expects before the run, from what it knows of the set-up (the replica
count, the restarted or removed ordinals), then compares it with what every browser saw. A run
over its budget fails with the timeline and each troubled browser's requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_sticky import LoadResult, RollingRestart, ScaleTo
from pytest_sticky.app import AppSpec, StickyApp, StickyCluster
from pytest_sticky.options import StickyConfig

BROWSERS = 20
RATE = 100.0
"""Requests per second, all browsers together: enough that every browser asks every ~0.2 s."""


def _duration(config: StickyConfig) -> float:
    """Upper bound of one scenario: seconds on local, a Kubernetes rollout takes minutes."""
    return 30.0 if config.cluster == "local" else 240.0


@pytest.fixture(scope="module")
def churn_app(sticky_cluster: StickyCluster, sticky_config: StickyConfig) -> StickyApp:
    """A copy of the demo app (in-memory sessions) that these tests restart and scale."""
    if sticky_config.replicas < 3:
        pytest.skip(
            f"the churn scenarios need 3 replicas or more; this run has --sticky-replicas={sticky_config.replicas}"
        )
    return sticky_cluster.deploy_app(AppSpec(name="hello-churn", replicas=sticky_config.replicas))


@pytest.fixture
def restore_replicas(churn_app: Any, sticky_config: StickyConfig) -> Iterator[None]:
    """Scale the churn app back to the run's replica count after a scaling test."""
    yield
    churn_app.scale_to(sticky_config.replicas, timeout=_duration(sticky_config), mark=lambda label: None)


def _pods(app: StickyApp, ordinals: range) -> set[str]:
    return {f"{app.name}-{i}" for i in ordinals}


def test_rolling_restart_with_the_redis_store_loses_no_session(
    sticky_load: Callable[..., LoadResult], sticky_app_redis: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: sessions live in Redis, so every browser keeps its session and
    # its count goes on by one per request, whichever pod answers; the readiness gate drains
    # each pod before it stops, so no request fails.
    result = sticky_load(
        app=sticky_app_redis,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(grace_period=sticky_config.grace_period),
        max_failed=0,
        max_sessions_lost=0,
    )
    assert result.action_end is not None
    discontinued = [b for b in result.browsers if not b.continuous]
    assert not discontinued, f"counts jumped or sessions changed: {discontinued}"
    assert result.repinned >= 1, "nobody was re-pinned: the rollout restarted no serving pod"


@pytest.mark.sticky_cookie
def test_rolling_restart_with_memory_sessions_loses_exactly_the_restarted_pods_browsers(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: a rollout with partition 1 restarts ordinals 1..N-1 (highest
    # first) and leaves ordinal 0 alone. In-memory sessions die with their pod: exactly the
    # browsers pinned to a restarted pod when the rollout began lose their session (one that
    # moves to another restarted pod loses it again, but is already counted); the browsers on
    # ordinal 0 keep theirs. The readiness gate means no request fails.
    restarted = _pods(churn_app, range(1, sticky_config.replicas))
    kept = _pods(churn_app, range(1))
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(partition=1, grace_period=sticky_config.grace_period),
        max_failed=0,
    )
    on_restarted, on_kept = result.pinned_before_action(restarted), result.pinned_before_action(kept)
    # 20 browsers spread over 3 pods: one pod with none of them has probability 3 * (2/3)^20 < 0.1 %
    pinned = [b.first_pod_before_action for b in result.browsers]
    assert on_restarted and on_kept, f"the browsers were not spread: {pinned}"
    assert on_restarted | on_kept == set(range(BROWSERS)), "a browser was not pinned before the rollout"
    assert result.lost_session() == on_restarted
    assert result.repinned_browsers() == on_restarted


@pytest.mark.sticky_cookie
def test_a_readiness_gated_graceful_rollout_fails_no_request(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: every pod is restarted; each leaves the routing before it gets
    # SIGTERM and its replacement is routed to only once ready, so no request fails. Every
    # in-memory session lives on a restarted pod, so every browser loses its session.
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=RollingRestart(grace_period=sticky_config.grace_period),
        max_failed=0,
    )
    assert result.failed == 0
    assert result.lost_session() == set(range(BROWSERS))


@pytest.mark.sticky_cookie
@pytest.mark.usefixtures("restore_replicas")
def test_scale_down_repins_only_the_browsers_of_the_removed_pod(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: scaling N -> N-1 removes ordinal N-1 only; its browsers are
    # re-pinned (and lose their in-memory session), nobody else moves, nothing fails.
    removed = _pods(churn_app, range(sticky_config.replicas - 1, sticky_config.replicas))
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=ScaleTo(sticky_config.replicas - 1),
        max_failed=0,
    )
    on_removed = result.pinned_before_action(removed)
    assert on_removed, "no browser was on the removed pod: the scenario showed nothing"
    assert result.repinned_browsers() == on_removed
    assert result.lost_session() == on_removed
    assert set(churn_app.pods()) == _pods(churn_app, range(sticky_config.replicas - 1))


@pytest.mark.sticky_cookie
@pytest.mark.usefixtures("restore_replicas")
def test_scale_up_moves_no_pinned_browser(
    sticky_load: Callable[..., LoadResult], churn_app: StickyApp, sticky_config: StickyConfig
) -> None:
    # Expected before the run: a new pod gets new clients only; every browser that has a cookie
    # stays where it is, keeps its session, and nothing fails.
    result = sticky_load(
        app=churn_app,
        browsers=BROWSERS,
        rate=RATE,
        duration=_duration(sticky_config),
        action=ScaleTo(sticky_config.replicas + 1),
        max_failed=0,
        max_sessions_lost=0,
    )
    assert result.repinned_browsers() == set()
    new_pod = f"{churn_app.name}-{sticky_config.replicas}"
    assert new_pod in churn_app.pods(), (result.marks, churn_app.diagnostics())
    assert new_pod not in result.pod_counts(), "a pinned browser was sent to the new pod"
