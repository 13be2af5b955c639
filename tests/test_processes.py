"""Child processes outlive the thread that asked for them (and still die with pytest).

PR_SET_PDEATHSIG follows the thread that forked the child: a replica started by a load run's
action thread (a scale-up) was SIGKILLed when that thread ended, so the new pod was "not ready"
right after the action.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

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
