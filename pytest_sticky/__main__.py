"""``python -m pytest_sticky <command>``: ``manifests`` prints what the plugin would apply."""

from __future__ import annotations

import sys
from collections.abc import Sequence

COMMANDS = ("manifests",)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        sys.stderr.write(
            f"usage: python -m pytest_sticky {{{','.join(COMMANDS)}}} [options]  (try: manifests --help)\n"
        )
        return 2
    from pytest_sticky.manifests_cli import main as manifests

    return manifests(args[1:])


if __name__ == "__main__":
    sys.exit(main())
