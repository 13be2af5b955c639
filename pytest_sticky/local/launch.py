"""Start one server process on a free port and wait until it is healthy (or say why not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pytest_sticky.errors import SetupError
from pytest_sticky.ports import PortTaken, looks_like_bind_failure, pick_free_port, start_on_free_port
from pytest_sticky.processes import ChildProcess
from pytest_sticky.waiting import WaitAborted, WaitTimeout, wait_until


def launch(
    name: str,
    command: Callable[[int], Sequence[str]],
    *,
    healthy: Callable[[int], bool],
    log_dir: Path,
    timeout: float,
    env: Callable[[int], Mapping[str, str]] = lambda port: {},
    pick: Callable[[], int] = pick_free_port,
    pass_fds: Sequence[int] = (),
) -> tuple[ChildProcess, int]:
    """Start ``command(port)`` on a free port; return once ``healthy(port)`` holds.

    A start that fails because the port was taken meanwhile is retried on another port. A
    process that exits, or is not healthy within ``timeout`` seconds, raises SetupError with
    the tail of its output. ``pass_fds`` are inherited by the process (a listening socket
    handed over, see ``local/caddy.py``).
    """

    def attempt(port: int) -> tuple[ChildProcess, int]:
        # one log per attempt: a retried start must not read an earlier attempt's output
        child = ChildProcess(name, command(port), env(port), log_dir / f"{name}.{port}.log", pass_fds)

        def ready() -> bool:
            if not child.alive():
                raise WaitAborted
            return healthy(port)

        try:
            wait_until(
                ready,
                what=f"{name} to become healthy on 127.0.0.1:{port}",
                timeout=timeout,
                state=lambda: f"last output of {name}:\n{child.log_tail()}",
            )
        except WaitAborted:
            child.stop(grace_period=0)
            output = child.log_tail(50)
            if looks_like_bind_failure(output):
                raise PortTaken(port) from None
            raise SetupError(f"{name} did not start: {child.describe_exit()}") from None
        except WaitTimeout as exc:
            child.stop(grace_period=0)
            raise SetupError(
                f"{name} (`{' '.join(child.args)}`) was not healthy within {timeout:g} s (it was stopped).\n{exc.state}"
            ) from None
        return child, port

    return start_on_free_port(attempt, what=f"starting {name}", pick=pick)
