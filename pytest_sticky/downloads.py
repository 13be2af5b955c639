"""Fetching a pinned upstream file: one download that says how to do without it, and a checksum-kept cache."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_sticky import progress
from pytest_sticky.errors import SetupError

if TYPE_CHECKING:
    import requests


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, *, what: str, phase: str, timeout: float, advice: str = "") -> requests.Response:
    """``GET url`` during ``progress.phase(phase)``; when it fails, a SetupError
    ``cannot download <what>: <why><advice>``."""
    import requests

    with progress.phase(phase):
        try:
            response = requests.get(url, timeout=timeout)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise SetupError(f"cannot download {what}: {exc}{advice}") from None
    return response


def cached_or_fetched(cached: Path, expected_sha256: str, fetch: Callable[[], bytes]) -> str:
    """The file's text: from ``cached`` when its checksum holds, else ``fetch()`` (which checks what it got),
    cached, then returned."""
    if cached.is_file() and sha256(cached.read_bytes()) == expected_sha256:
        return cached.read_text()
    data = fetch()
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data.decode()
