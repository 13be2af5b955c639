"""Finding the ``kind`` program: the one on PATH, else a pinned kind release, checked and cached.

A kind on PATH wins. Without one, the release pinned here (the same as the GitHub workflow's
``KIND_VERSION``/``KIND_SHA256``) is downloaded once into the user's cache directory, under a lock
so that xdist workers do not download it twice, and used only when its sha256 is the one pinned
for this platform: a binary that does not match is refused and not kept.

kind v0.33.0 is the newest release found upstream (2026-08; its node images v1.37.0, v1.36.4,
v1.35.8, v1.34.11... are pinned in ``.github/workflows/ci.yml``). The sha256 values are those of
the release's ``kind-<os>-<arch>.sha256sum`` assets
(https://github.com/kubernetes-sigs/kind/releases/tag/v0.33.0).

``STICKY_KIND_DOWNLOAD_URL`` replaces the download address (a mirror, an air-gapped machine);
the checksum is checked all the same.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pytest_sticky import progress
from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.errors import MissingTool
from pytest_sticky.nodes.cache import cache_dir

INSTALL_KIND = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
KIND_VERSION = "v0.33.0"
KIND_SHA256 = {
    "linux-amd64": "aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d",
    "linux-arm64": "20022bee6cfcd5086cb7234d218e3454e6090022f2a8f55d1fa7fcf42c3867a2",
    "darwin-amd64": "5a99f26f57246dc9319dd294803313197a0f34d33c525b3ea8b655db5916ece0",
    "darwin-arm64": "0c8c7dbe5e23594a198b786c4bc13dacc101fa6196b0cb0b23a1ca44e61f4b4f",
}
DOWNLOAD_URL = "https://github.com/kubernetes-sigs/kind/releases/download/{version}/kind-{platform}"
DOWNLOAD_URL_ENV = "STICKY_KIND_DOWNLOAD_URL"
DOWNLOAD_TIMEOUT = 120.0
DOWNLOAD_LOCK_TIMEOUT = 600.0
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


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


def this_platform() -> str:
    """``linux-amd64``, ``darwin-arm64``...: the name of kind's release asset for this machine."""
    return f"{sys.platform.removesuffix('2')}-{ARCHITECTURES.get(platform.machine().lower(), platform.machine())}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pinned_kind() -> KindBinary:
    """kind ``KIND_VERSION`` from the user's cache, downloaded and checked first if it is not there."""
    target_platform = this_platform()
    expected = KIND_SHA256.get(target_platform)
    if expected is None:
        raise MissingTool(
            f"kind is not on PATH, and pytest-sticky pins kind {KIND_VERSION} for {', '.join(KIND_SHA256)} only "
            f"(this machine is {target_platform}): install kind ({INSTALL_KIND})"
        )
    from filelock import FileLock

    directory = cache_dir("kind")
    target = directory / f"kind-{KIND_VERSION}-{target_platform}"
    with FileLock(str(directory / "download.lock"), timeout=DOWNLOAD_LOCK_TIMEOUT):
        if not (target.is_file() and sha256_of(target) == expected):
            with progress.phase(f"downloading kind {KIND_VERSION}"):
                _download(target, target_platform, expected)
    try:
        run_command([str(target), "version"], timeout=30)
    except CommandError as exc:
        raise MissingTool(
            f"kind {KIND_VERSION} downloaded to {target} does not run ({exc}); delete it, or install kind "
            f"({INSTALL_KIND})"
        ) from None
    return KindBinary(str(target), f"kind {KIND_VERSION} pinned by pytest-sticky, sha256-checked ({target})")


def _download(target: Path, target_platform: str, expected: str) -> None:
    """Download the release asset to a temporary file; keep it as ``target`` only if its sha256 matches."""
    import requests

    url = os.environ.get(DOWNLOAD_URL_ENV) or DOWNLOAD_URL.format(version=KIND_VERSION, platform=target_platform)
    fd, name = tempfile.mkstemp(prefix=".kind-download-", dir=target.parent)
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT) as response:
                    response.raise_for_status()
                    for chunk in response.iter_content(1 << 20):
                        out.write(chunk)
            except requests.RequestException as exc:
                raise MissingTool(
                    f"kind is not on PATH and kind {KIND_VERSION} could not be downloaded from {url}: {exc}. "
                    f"Install kind ({INSTALL_KIND}), or set {DOWNLOAD_URL_ENV} to a mirror of "
                    f"kind-{target_platform}"
                ) from None
        got = sha256_of(partial)
        if got != expected:
            raise MissingTool(
                f"refusing the kind binary from {url}: its sha256 is {got}, but kind {KIND_VERSION} "
                f"kind-{target_platform} has {expected}. Nothing was installed. Install kind yourself "
                f"({INSTALL_KIND}), or point {DOWNLOAD_URL_ENV} at an unchanged copy"
            )
        partial.chmod(0o755)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
