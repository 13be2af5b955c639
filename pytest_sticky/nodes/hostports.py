"""The host ports mapped to the kind node's 80 and 443: free ones, or the user's, checked.

When a port the user fixed is taken, the error names the process that holds it, found the way
``ss -p`` does (best effort): the listening socket's inode in ``/proc/net/tcp{,6}``, then the
process whose ``/proc/<pid>/fd`` links to that socket.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from pytest_sticky.errors import SetupError
from pytest_sticky.ports import LOOPBACK, pick_free_port

LISTEN = "0A"
BIND_FAILURE_MARKERS = ("port is already allocated", "address already in use")


def choose_ports(http_port: int, https_port: int) -> tuple[int, int]:
    """(http, https): each the fixed port after checking it is free, or a free one when 0."""
    chosen: list[int] = []
    for fixed, option in ((http_port, "--sticky-http-port"), (https_port, "--sticky-https-port")):
        if fixed:
            check_free(fixed, option)
            chosen.append(fixed)
            continue
        port = pick_free_port()
        while port in chosen or port in (http_port, https_port):
            port = pick_free_port()
        chosen.append(port)
    return chosen[0], chosen[1]


def check_free(port: int, option: str) -> None:
    """A SetupError naming the holder when ``port`` cannot be bound on the loopback address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except PermissionError:
            return  # a privileged port: the container engine binds it, not us
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return
            raise SetupError(
                f"{option}={port}: port {port} is already in use on this machine, by {port_holder(port)}. "
                f"Stop it, choose another port, or leave {option} unset (0) to use a free one"
            ) from None


def looks_like_port_clash(output: str) -> bool:
    lowered = output.lower()
    return any(marker in lowered for marker in BIND_FAILURE_MARKERS)


def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Inodes of the TCP sockets listening on ``port`` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port:
                inodes.add(fields[9])
    return inodes


def port_holder(port: int, proc: Path = Path("/proc")) -> str:
    """``pid N (command line)`` of the process listening on ``port``, or why it cannot be told."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return "another process (no listening socket found in /proc/net/tcp: it may be in another network namespace)"
    targets = {f"socket:[{inode}]" for inode in inodes}
    unreadable = 0
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:
            unreadable += 1
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in targets:
                    return f"pid {pid_dir.name} ({_command(pid_dir)})"
            except OSError:
                continue
    hint = " (run as root, or `ss -ltnp`, to see processes of other users)" if unreadable else ""
    return f"another process (socket inode {', '.join(sorted(inodes))}; its owner is not visible{hint})"


def _command(pid_dir: Path) -> str:
    try:
        raw = (pid_dir / "cmdline").read_bytes()
    except OSError:
        raw = b""
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    if not command:
        try:
            command = (pid_dir / "comm").read_text().strip()
        except OSError:
            command = "?"
    return command[:200]
