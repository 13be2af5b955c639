"""A load worker process: some of a run's browsers in an event loop of their own, as wrk runs
its connections on several threads. Started by ``load.crowd`` as
``python -m pytest_sticky.load.worker FD``, it speaks ``load.wire`` over the socket FD."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

from pytest_sticky.load import wire
from pytest_sticky.load.browsers import Browsers
from pytest_sticky.load.eventloop import run
from pytest_sticky.load.spec import LoadSpec


async def serve(sock: socket.socket) -> None:
    reader, writer = await asyncio.open_connection(sock=sock, limit=wire.LINE_LIMIT)

    async def receive() -> dict[str, Any] | None:
        raw = await reader.readline()
        return json.loads(raw) if raw else None

    job = await receive()
    if job is None:
        return
    start, stop = job["ids"]
    spec = LoadSpec(**job["spec"])
    browsers = Browsers(
        job["url"],
        spec,
        cookie_name=job["cookie_name"],
        headers=job["headers"],
        ids=range(start, stop),
        on_answered=lambda browser: writer.write(wire.line({"answered": browser})),
    )
    writer.write(wire.line({"ready": True}))
    go = await receive()
    if go is None or "go" not in go:
        return
    load = asyncio.create_task(browsers.run(float(go["go"])))
    await receive()  # {"stop": true}, or the end of the stream when the parent is gone
    browsers.stop()
    await load
    writer.write(wire.line({"ended": browsers.ended}))
    for chunk in wire.hit_lines(browsers.hits):
        writer.write(chunk)
        await writer.drain()
    writer.write(wire.line({"done": True}))
    await writer.drain()
    writer.close()
    await writer.wait_closed()  # drain() only waits below the high-water mark: flush the rest


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m pytest_sticky.load.worker FD (started by sticky_load)", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(argv[0]))
    try:
        run(serve(sock))
    except ConnectionError as exc:
        print(f"load worker: the parent's socket failed ({type(exc).__name__}: {exc}); stopping", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
