"""A throwaway ``redis-server`` on a free loopback port, for the session-store tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytest_sticky.errors import MissingTool
from pytest_sticky.local.health import redis_pong
from pytest_sticky.local.launch import launch
from pytest_sticky.ports import LOOPBACK
from pytest_sticky.processes import ChildProcess

HOW_TO_GET = (
    "redis-server is not on PATH; the Redis session-store tests need it: "
    "`apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)"
)


class LocalRedis:
    def __init__(self, *, workdir: Path, ready_timeout: float) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise MissingTool(HOW_TO_GET)
        self.child: ChildProcess
        self.child, self.port = launch(
            "redis",
            lambda port: [
                binary,
                "--port",
                str(port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            healthy=redis_pong,
            log_dir=workdir,
            timeout=ready_timeout,
        )
        self.address = f"{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.child.stop(grace_period=2.0)
