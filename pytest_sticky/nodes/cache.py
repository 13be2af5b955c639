"""Where providers (kind, and the Gateway API CRDs it installs) keep files between runs: the user's cache directory."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/pytest-sticky/<parts>`` (default ``~/.cache/pytest-sticky/<parts>``), created."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base, "pytest-sticky", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
