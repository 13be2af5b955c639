"""``sticky_load``: the browsers, the action, the clock, and the loss budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from pytest_sticky.errors import StickyError
from pytest_sticky.load.actions import Action
from pytest_sticky.load.crowd import Crowd
from pytest_sticky.load.eventloop import in_own_loop
from pytest_sticky.load.failure import LoadBudgetError, check_budget
from pytest_sticky.load.result import LoadResult, Mark
from pytest_sticky.load.spec import LoadSpec

WARMUP_SHARE = 0.5
"""At most this share of ``duration`` waits for every browser's first answer before the action."""


def sticky_load(
    app: Any = None,
    *,
    url: str | None = None,
    browsers: int = 20,
    rate: float | None = 200.0,
    duration: float = 10.0,
    settle: float = 0.5,
    path: str = "/session",
    timeout: float = 5.0,
    processes: int | None = None,
    action: Action | None = None,
    cookie_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    max_failed: int | None = None,
    max_sessions_lost: int | None = None,
    on_result: Callable[[LoadResult], None] | None = None,
) -> LoadResult:
    """Run ``browsers`` concurrent browsers against ``app`` (or ``url``) at ``rate`` requests/s in
    total, for at most ``duration`` seconds; once every browser is pinned, run ``action`` (then
    keep loading ``settle`` seconds). Every request is recorded; the result says per browser its
    errors, re-pins and session continuity. Above 1,000 requests/s (or with ``rate=None``) the
    browsers are split over ``processes`` event loops (default: one per core, at most 4), this
    process and worker processes, as wrk splits its connections over threads. With ``max_failed`` /
    ``max_sessions_lost`` a run that loses more fails (LoadBudgetError) with the timeline and the per-browser trace."""
    __tracebackhide__ = True
    spec = LoadSpec(
        browsers=browsers, rate=rate, duration=duration, settle=settle, path=path, timeout=timeout, processes=processes
    )
    if app is None and url is None:
        raise StickyError("sticky_load: give an app (the sticky_app fixture) or a url")
    if action is not None and app is None:
        raise StickyError(f"sticky_load: the action {action.name!r} needs an app to act on, not only a url")
    target = url or app.url
    crowd = Crowd(
        target,
        spec,
        cookie_name=cookie_name if cookie_name is not None else getattr(app, "cookie_name", None),
        headers=headers if headers is not None else getattr(app, "headers", None),
    )
    result = in_own_loop(lambda: _drive(crowd, spec, app, action))
    if on_result is not None:
        on_result(result)
    if result.action_error:
        raise LoadBudgetError(f"sticky_load: {result.action} failed: {result.action_error}", result)
    check_budget(result, max_failed=max_failed, max_sessions_lost=max_sessions_lost)
    return result


async def _drive(crowd: Crowd, spec: LoadSpec, app: Any, action: Action | None) -> LoadResult:
    try:
        await crowd.start()  # worker processes, if any, are up before the clock starts
        return await _timed(crowd, spec, app, action)
    finally:
        crowd.close()


async def _timed(crowd: Crowd, spec: LoadSpec, app: Any, action: Action | None) -> LoadResult:
    marks: list[Mark] = []
    t0 = time.monotonic()
    deadline = t0 + spec.duration

    def mark(label: str) -> None:
        marks.append(Mark(time.monotonic() - t0, label))

    load = asyncio.create_task(crowd.run(t0))
    action_start: float | None = None
    action_end: float | None = None
    action_error = ""
    try:
        if action is None:
            await asyncio.sleep(spec.duration)
        else:
            try:
                await asyncio.wait_for(crowd.all_answered(), spec.duration * WARMUP_SHARE)
            except TimeoutError:
                action_error = (
                    f"only {crowd.answered()} of {spec.browsers} browsers had an answer within "
                    f"{spec.duration * WARMUP_SHARE:g} s, so the action was not started"
                )
            if not action_error:
                budget = deadline - time.monotonic() - spec.settle
                action_start = time.monotonic() - t0
                mark(f"{action.name} begins")
                try:
                    await asyncio.to_thread(action.run, app, timeout=max(budget, 0.1), mark=mark)
                except StickyError as exc:
                    action_error = str(exc)
                except Exception as exc:  # noqa: BLE001 (reported with the timeline)
                    action_error = f"{type(exc).__name__}: {exc}"
                action_end = time.monotonic() - t0
                mark(f"{action.name} done" if not action_error else f"{action.name} failed")
                await asyncio.sleep(max(0.0, min(spec.settle, deadline - time.monotonic())))
    finally:
        crowd.stop()
        await load
    wall = crowd.ended - t0
    return LoadResult(
        action=action.name if action is not None else "none",
        browsers_n=spec.browsers,
        rate=spec.rate,
        hits=sorted(crowd.hits, key=lambda h: h.t),
        marks=marks,
        action_start=action_start,
        action_end=action_end,
        wall_s=wall,
        action_error=action_error,
    )
