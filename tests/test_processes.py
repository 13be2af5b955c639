"""Child processes outlive the thread that asked for them (and still die with pytest).

PR_SET_PDEATHSIG follows the thread that forked the child: a replica started by a load run's
action thread (a scale-up) was SIGKILLed when that thread ended, so the new pod was "not ready"
right after the action.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pytest_sticky.processes import ChildProcess

SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]


def test_a_child_started_from_a_short_lived_thread_survives_the_threads_end(tmp_path: Path) -> None:
    started: list[ChildProcess] = []
    thread = threading.Thread(target=lambda: started.append(ChildProcess("sleeper", SLEEPER, {}, tmp_path / "s.log")))
    thread.start()
    thread.join()
    (child,) = started
    try:
        # with the child forked by the ended thread, the kernel's SIGKILL arrives within milliseconds
        ended = child.wait_exit(1.0)
        assert not ended, f"the child died with the thread that started it: {child.describe_exit()}"
    finally:
        child.stop(grace_period=0)
    assert child.returncode is not None


def test_a_failed_start_raises_in_the_asking_thread(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            ChildProcess("missing", [str(tmp_path / "no-such-program")], {}, tmp_path / "m.log")
        except OSError as exc:
            errors.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join(timeout=10)
    assert [type(e) for e in errors] == [FileNotFoundError]


def test_descendants_skips_a_process_that_ends_while_the_tree_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc/<pid>/task can vanish between listing a parent's children and reading theirs (seen
    once in the suite benchmark): that process has no descendants left, and the walk goes on."""
    from pytest_sticky import processes

    tree: dict[str, list[str] | None] = {
        "/proc/100/task": ["100"],
        "/proc/200/task": None,
        "/proc/300/task": ["300"],
        "/proc/400/task": [],
    }
    children = {"/proc/100/task/100/children": "200 300", "/proc/300/task/300/children": "400"}

    real_listdir = os.listdir

    def listdir(path: str) -> list[str]:
        if path not in tree:  # anything else that lists a directory meanwhile
            return real_listdir(path)
        listing = tree[path]
        if listing is None:
            raise FileNotFoundError(path)
        return listing

    def read_text(self: Any, *args: Any, **kwargs: Any) -> str:
        if str(self) in children:
            return children[str(self)]
        raise FileNotFoundError(str(self))

    monkeypatch.setattr("pytest_sticky.processes.os.listdir", listdir)
    monkeypatch.setattr("pytest_sticky.processes.Path.read_text", read_text)
    assert sorted(processes.descendants(100)) == [200, 300, 400]
