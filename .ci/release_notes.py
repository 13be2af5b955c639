"""Check a release tag against the version and the changelog, and print that version's notes.

    python .ci/release_notes.py v0.2.0 > notes.md

Exits 1, saying why, when the tag is not ``v`` + ``__version__`` of pytest_sticky/__init__.py (the
one place of the version), or CHANGELOG.md has no dated, non-empty section ``## [0.2.0] - YYYY-MM-DD``.
The release workflow runs it before building anything, and its output becomes the GitHub release's text.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReleaseError(Exception):
    """The tag, the version and the changelog do not agree."""


def package_version(root: Path) -> str:
    """``__version__`` of pytest_sticky/__init__.py, read without importing the package."""
    source = root / "pytest_sticky" / "__init__.py"
    for node in ast.parse(source.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ReleaseError(f"{source} has no __version__ = '...' string")


def changelog_section(changelog: str, version: str) -> str:
    """The text under ``## [version] - date`` up to the next ``## `` heading or the link references."""
    lines = changelog.splitlines()
    for i, line in enumerate(lines):
        match = SECTION.match(line)
        if not match or match["version"] != version:
            continue
        if not match["date"] or not DATE.match(match["date"]):
            raise ReleaseError(
                f"CHANGELOG.md: the heading {line!r} needs a release date, '## [{version}] - YYYY-MM-DD'"
            )
        body: list[str] = []
        for following in lines[i + 1 :]:
            if following.startswith("## ") or re.match(r"^\[[^\]]+\]: ", following):
                break
            body.append(following)
        text = "\n".join(body).strip()
        if not text:
            raise ReleaseError(f"CHANGELOG.md: the section of {version} is empty")
        return text + "\n"
    raise ReleaseError(
        f"CHANGELOG.md has no section '## [{version}] - YYYY-MM-DD': move the Unreleased entries under it"
    )


def release_notes(tag: str, root: Path = ROOT) -> str:
    version = package_version(root)
    if tag != f"v{version}":
        raise ReleaseError(
            f"the tag {tag} does not match __version__ {version!r} in pytest_sticky/__init__.py (expected v{version})"
        )
    return changelog_section((root / "CHANGELOG.md").read_text(), version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tag", help="the release tag, e.g. v0.2.0")
    parser.add_argument("--root", type=Path, default=ROOT, help="the source tree (default: this repository)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(release_notes(args.tag, args.root))
    except ReleaseError as exc:
        print(f"release_notes: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
