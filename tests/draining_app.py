"""A replica that keeps serving after SIGTERM, as an app draining during its grace period does.

Run as a local replica command (``--sticky-app-command``): it reads ``PORT``, ``BIND`` and
``POD_NAME`` like the demo app, answers ``/`` with ``{"pod", "pid"}`` and ``X-Pod-Name``, and
``/healthz``. On SIGTERM it goes on answering for ``DRAIN_S`` seconds (default 2), then writes
``<MARKER_DIR>/<pod>-<pid>.drained`` and exits 0: the file exists only if nobody SIGKILLed it
first. Standard library only.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

POD = os.environ.get("POD_NAME", "draining")
DRAIN_S = float(os.environ.get("DRAIN_S", "2"))
MARKER_DIR = Path(os.environ.get("MARKER_DIR", "."))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"pod": POD, "pid": os.getpid()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Pod-Name", POD)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> None:
    server = ThreadingHTTPServer((os.environ.get("BIND", "127.0.0.1"), int(os.environ["PORT"])), Handler)

    def drain_then_exit() -> None:
        threading.Event().wait(DRAIN_S)  # keep answering meanwhile
        (MARKER_DIR / f"{POD}-{os.getpid()}.drained").write_text("drained\n")
        server.shutdown()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=drain_then_exit, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
