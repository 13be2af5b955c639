"""Run the demo app, writing the moment it starts listening (time.monotonic()) to a file.

``python ready_mark.py HELLO_PY MARK_FILE``: loads ``HELLO_PY`` as a module, swaps its
``ThreadingHTTPServer`` for a subclass that writes the time right after ``listen()`` (from
then on a connection is accepted, and /healthz answers as soon as the serve loop runs), and
calls its ``main()``. CLOCK_MONOTONIC is system-wide on Linux, so the time compares with the
parent's ``time.monotonic()``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from http.server import ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    script, mark_file = Path(sys.argv[1]), Path(sys.argv[2])
    spec = importlib.util.spec_from_file_location("hello", script)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {script}")
    hello = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hello)

    class MarkingServer(ThreadingHTTPServer):
        def server_activate(self) -> None:
            super().server_activate()
            mark_file.write_text(repr(time.monotonic()))

    hello.ThreadingHTTPServer = MarkingServer  # type: ignore[attr-defined]
    hello.main()


if __name__ == "__main__":
    main()
