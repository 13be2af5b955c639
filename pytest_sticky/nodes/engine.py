"""The container engine kind runs its nodes in: Docker, or Podman (``KIND_EXPERIMENTAL_PROVIDER``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_sticky.commands import CommandError, run_command, tail
from pytest_sticky.errors import MissingTool, SetupError

PROVIDER_ENV = "KIND_EXPERIMENTAL_PROVIDER"
ENGINES = ("docker", "podman", "nerdctl")
HOW_TO_START = {
    "docker": "start Docker (e.g. `sudo systemctl start docker`, or open Docker Desktop)",
    "podman": "start Podman (`podman machine start` on macOS and Windows; on Linux make `podman info` work)",
    "nerdctl": "start containerd (e.g. `sudo systemctl start containerd`)",
}
_PORT = re.compile(r":(\d+)\s*$")


@dataclass(frozen=True)
class Engine:
    program: str

    @classmethod
    def from_environment(cls) -> Engine:
        """The engine kind will use: ``KIND_EXPERIMENTAL_PROVIDER`` when it names one, else Docker."""
        wanted = os.environ.get(PROVIDER_ENV, "").strip()
        return cls(wanted if wanted in ENGINES else "docker")

    def check_running(self) -> None:
        """A MissingTool that says what to install or start when the engine cannot run containers."""
        try:
            run_command([self.program, "info"], timeout=60)
        except CommandError as exc:
            if exc.returncode is None and "not on PATH" in exc.reason:
                raise MissingTool(
                    f"kind needs a container engine, but {self.program} is not installed: install Docker "
                    "(https://docs.docker.com/engine/install/), or install Podman and set "
                    f"{PROVIDER_ENV}=podman"
                ) from None
            why = tail(exc.stderr or exc.stdout, 3) or exc.reason or f"exit status {exc.returncode}"
            raise MissingTool(
                f"{self.program} is not running: `{self.program} info` failed: {why}\n"
                f"{HOW_TO_START.get(self.program, HOW_TO_START['docker'])}, then run the tests again"
            ) from None

    def host_port(self, container: str, container_port: int) -> int | None:
        """The host port the container's ``container_port``/tcp is published on, or None."""
        done = run_command([self.program, "port", container, f"{container_port}/tcp"], timeout=30, check=False)
        if done.returncode != 0:
            return None
        for line in done.stdout.splitlines():
            match = _PORT.search(line.strip())
            if match:
                return int(match.group(1))
        return None

    def node_image(self, container: str) -> str | None:
        """The image the container runs (kind nodes: ``kindest/node:vX@sha256:...``), or None."""
        done = run_command(
            [self.program, "inspect", "--format", "{{.Config.Image}}", container], timeout=30, check=False
        )
        image = done.stdout.strip()
        return image if done.returncode == 0 and image else None

    def save_image(self, image: str, archive: Path) -> None:
        """Write ``image`` from the engine's local store to ``archive`` (for ``kind load image-archive``)."""
        try:
            run_command([self.program, "save", "-o", str(archive), image], timeout=900)
        except CommandError as exc:
            raise SetupError(
                f"cannot copy image {image} into the kind cluster: `{self.program} save` failed "
                f"({tail(exc.stderr, 3) or exc.reason}). With --sticky-image-pull-policy=Never the image must "
                f"be in {self.program}'s local store: pull or build it first, or use IfNotPresent"
            ) from None
