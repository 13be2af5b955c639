"""Finding the ``kind`` program: the one on PATH, else the version pytest-kind-ng pins.

A kind on PATH wins (the pinned one can be too old for new node images). Without it, the
``kind`` extra's pytest-kind-ng downloads its pinned release, once, into the user's cache; its
own download code is used, under a lock so that xdist workers do not download it twice.
"""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pytest_sticky import progress
from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.errors import MissingTool
from pytest_sticky.kind.cache import cache_dir

INSTALL_KIND = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
EXTRA = "pip install 'pytest-sticky[kind]'"
DOWNLOAD_LOCK_TIMEOUT = 600.0
AMD64 = ("x86_64", "amd64")


@dataclass(frozen=True)
class KindBinary:
    path: str
    origin: str
    """Where it came from, for the report header: ``PATH`` or the pinned download."""


def find_kind() -> KindBinary:
    on_path = shutil.which("kind")
    if on_path is not None:
        return KindBinary(on_path, "PATH")
    return pinned_kind()


def _pytest_kind() -> ModuleType:
    try:
        from pytest_kind import cluster
    except ImportError as exc:
        raise MissingTool(
            f"kind is not on PATH and pytest-kind-ng, which downloads a pinned kind, is not installed ({exc}): "
            f"{EXTRA}, or install kind ({INSTALL_KIND})"
        ) from None
    module: ModuleType = cluster
    return module


def pinned_kind() -> KindBinary:
    """The kind release pytest-kind-ng pins, downloaded by pytest-kind-ng into the user's cache."""
    module = _pytest_kind()
    version = str(module.KIND_VERSION)
    if platform.machine().lower() not in AMD64:
        raise MissingTool(
            f"kind is not on PATH, and pytest-kind-ng downloads only the amd64 build of kind {version} "
            f"(this machine is {platform.machine()}): install kind ({INSTALL_KIND})"
        )
    from filelock import FileLock

    directory = cache_dir("kind")
    target = directory / f"kind-{version}"
    with FileLock(str(directory / "download.lock"), timeout=DOWNLOAD_LOCK_TIMEOUT):
        if not target.exists():
            with progress.phase(f"downloading kind {version} with pytest-kind-ng"):
                _download(module, target, version)
    try:
        run_command([str(target), "version"], timeout=30)
    except CommandError as exc:
        raise MissingTool(
            f"kind {version} downloaded by pytest-kind-ng to {target} does not run ({exc}); "
            f"delete it, or install kind ({INSTALL_KIND})"
        ) from None
    return KindBinary(str(target), f"kind {version} pinned by pytest-kind-ng ({target})")


def _download(module: ModuleType, target: Path, version: str) -> None:
    """pytest-kind-ng's ``KindCluster.ensure_kind`` (honours ``KIND_VERSION`` and ``KIND_DOWNLOAD_URL``)."""
    import requests

    # Its constructor makes ``.pytest-kind/<name>/`` in the working directory: remove it if it was not there.
    scratch = Path(".pytest-kind")
    had_scratch = scratch.exists()
    try:
        helper = module.KindCluster("pytest-sticky", kind_path=target)
        helper.ensure_kind()
    except (requests.RequestException, OSError) as exc:
        raise MissingTool(
            f"kind is not on PATH and pytest-kind-ng could not download kind {version}: {exc}. "
            f"Install kind ({INSTALL_KIND}), or retry when the download works (KIND_DOWNLOAD_URL overrides "
            "where pytest-kind-ng downloads from)"
        ) from None
    finally:
        if not had_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
