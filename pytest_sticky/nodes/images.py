"""Loading local images into the kind node, the way that works with Docker and Podman alike.

``kind load docker-image`` does not work with Podman (kind #2729); saving the image to an
archive with the engine and ``kind load image-archive`` does, for both.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pytest_sticky import progress
from pytest_sticky.commands import CommandError, run_command, tail
from pytest_sticky.errors import SetupError
from pytest_sticky.nodes.engine import Engine


class ImageLoader:
    def __init__(self, kind: str, cluster: str, engine: Engine) -> None:
        self.kind = kind
        self.cluster = cluster
        self.engine = engine
        self.loaded: set[str] = set()

    def load(self, image: str) -> None:
        """Copy ``image`` from the engine's local store into the cluster's node (once per run)."""
        if image in self.loaded:
            return
        with (
            progress.phase(f"loading image {image} into kind cluster {self.cluster}"),
            tempfile.TemporaryDirectory(prefix="pytest-sticky-image-") as tmp,
        ):
            archive = Path(tmp) / "image.tar"
            self.engine.save_image(image, archive)
            try:
                run_command([self.kind, "load", "image-archive", str(archive), "--name", self.cluster], timeout=900)
            except CommandError as exc:
                raise SetupError(
                    f"`kind load image-archive` could not load {image} into kind cluster {self.cluster}: "
                    f"{tail(exc.stderr, 5) or exc.reason or exc.returncode}"
                ) from None
        self.loaded.add(image)
