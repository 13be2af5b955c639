"""Where the files under ``fixtures/`` are: inside the wheel, or beside the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def fixtures_dir() -> Path:
    for candidate in (_PACKAGE / "fixtures", _PACKAGE.parent / "fixtures"):
        if (candidate / "app" / "hello.py").is_file():
            return candidate
    raise FileNotFoundError(f"pytest-sticky's fixtures/ directory is missing (looked beside {_PACKAGE})")


def demo_app_script() -> Path:
    return fixtures_dir() / "app" / "hello.py"
