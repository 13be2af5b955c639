"""Finding the programs the local cluster uses."""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

import pytest


def find_tool(name: str) -> str | None:
    """The real program (not a pyenv shim, which needs pyenv on PATH)."""
    beside_python = Path(sysconfig.get_path("scripts")) / name
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which(name)


def need_tool(name: str) -> str:
    found = find_tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found
