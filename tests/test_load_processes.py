"""sticky_load split over event loops: the browsers in this process and in worker processes."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest

from pytest_sticky.load import crowd
from pytest_sticky.load.crowd import LoadWorkerError, split
from pytest_sticky.load.run import sticky_load
from pytest_sticky.load.spec import LoadInputError, LoadSpec
from pytest_sticky.processes import descendants
from tests.backends import FakeProxy


def test_the_browsers_are_split_in_contiguous_groups_of_near_equal_size() -> None:
    assert split(50, 2) == [range(0, 25), range(25, 50)]
    assert split(5, 3) == [range(0, 1), range(1, 3), range(3, 5)]
    assert split(4, 1) == [range(0, 4)]


@pytest.mark.parametrize(
    ("spec", "cores", "loops"),
    [
        (LoadSpec(browsers=50, rate=None), 2, 2),  # as fast as it goes: one loop per core
        (LoadSpec(browsers=50, rate=None), 16, 4),  # at most 4
        (LoadSpec(browsers=3, rate=None), 16, 3),  # no more loops than browsers
        (LoadSpec(browsers=50, rate=None), None, 1),  # unknown core count
        (LoadSpec(browsers=20, rate=100), 16, 1),  # a paced run fits in one loop
        (LoadSpec(browsers=50, rate=5000), 2, 2),
        (LoadSpec(browsers=20, rate=100, processes=3), 2, 3),  # asked for
    ],
)
def test_how_many_event_loops_run_the_browsers(spec: LoadSpec, cores: int | None, loops: int) -> None:
    assert spec.loops(cores) == loops


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"processes": 0}, "processes=0 is out of bounds (1 to 16"),
        ({"processes": 17, "browsers": 50}, "processes=17 is out of bounds (1 to 16"),
        ({"processes": 5, "browsers": 4}, "processes=5 is out of bounds (1 to 4"),
        ({"processes": 1.5}, "processes must be an integer or None"),
    ],
)
def test_out_of_bounds_process_counts_are_refused(kwargs: dict[str, int | float], message: str) -> None:
    with pytest.raises(LoadInputError) as caught:
        LoadSpec(**kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value)


def _workers_alive() -> list[int]:
    """Load workers below this process (forked by the spawner thread, so read from every thread)."""
    alive = []
    for pid in descendants(os.getpid()):
        try:
            if b"pytest_sticky.load.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                alive.append(pid)
        except OSError:
            continue
    return alive


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc (Linux)")
def test_a_run_over_two_processes_records_every_browser_pinned_and_leaves_no_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the workers' logs go
    with FakeProxy(["pod-a", "pod-b", "pod-c"], affinity_cookie="route") as proxy:
        result = sticky_load(
            url=proxy.url, browsers=10, rate=None, duration=1.0, path="/", processes=2, cookie_name="route"
        )
    assert {hit.browser for hit in result.hits} == set(range(10))  # both halves, 0-4 here and 5-9 in the worker
    assert result.failed == 0
    assert all(0 <= hit.t <= 1.0 + 5.0 for hit in result.hits), "every time is on the run's one clock"
    for browser in range(10):
        own = [hit for hit in result.hits if hit.browser == browser]
        assert len({hit.pod for hit in own}) == 1, f"browser {browser} kept its cookie and its pod: {own[:3]}"
        assert own[-1].affinity in {"pod-a", "pod-b", "pod-c"}
        for before, after in itertools.pairwise(own):  # one request at a time, as a browser tab
            assert after.t >= before.t + before.elapsed - 1e-6, f"browser {browser} twice at once: {before}, {after}"
    assert _workers_alive() == []
    assert list(tmp_path.iterdir()) == [], "the workers' log folder is removed"


def test_a_worker_that_cannot_start_fails_the_run_with_its_exit_and_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crowd, "WORKER_COMMAND", ("/bin/sh", "-c", "echo no aiohttp here >&2; exit 3", "sh"))
    with FakeProxy(["pod-a"]) as proxy, pytest.raises(LoadWorkerError) as caught:
        sticky_load(url=proxy.url, browsers=4, rate=None, duration=0.5, path="/", processes=2)
    message = str(caught.value)
    assert "load worker for browsers 2-3" in message
    assert "exited with status 3" in message
    assert "no aiohttp here" in message
