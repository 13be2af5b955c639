"""The one place that runs external commands (kind, oc, docker, haproxy -v, ...).

Every call goes through :func:`run_command`; a failure raises :class:`CommandError`, which
carries the command, its exit code, stdout and stderr, so a report shows why, not just that.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TAIL_LINES = 20


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text``."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass
class CommandError(Exception):
    """An external command failed, timed out, or could not be started."""

    command: Sequence[str]
    returncode: int | None
    stdout: str
    stderr: str
    reason: str = ""

    def __str__(self) -> str:
        cmd = shlex.join(self.command)
        head = f"`{cmd}` {self.reason}" if self.reason else f"`{cmd}` exited with status {self.returncode}"
        parts = [head]
        if self.stderr.strip():
            parts.append("stderr:\n" + tail(self.stderr))
        if self.stdout.strip():
            parts.append("stdout:\n" + tail(self.stdout))
        return "\n".join(parts)


def run_command(
    command: Sequence[str],
    *,
    timeout: float = 60.0,
    input: str | None = None,  # noqa: A002 (subprocess's own name)
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (never through a shell) and return its completed process.

    Raises :class:`CommandError` when the program is missing, times out, or (with ``check``)
    exits non-zero.
    """
    args = [str(a) for a in command]
    full_env = None if env is None else {**os.environ, **env}
    try:
        done = subprocess.run(
            args,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            check=False,
        )
    except FileNotFoundError:
        raise CommandError(args, None, "", "", reason=f"could not run: {args[0]} is not on PATH") from None
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandError(args, None, out, err, reason=f"timed out after {timeout:g} s") from None
    if check and done.returncode != 0:
        raise CommandError(args, done.returncode, done.stdout, done.stderr)
    return done
