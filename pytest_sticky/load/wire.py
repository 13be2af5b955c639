"""What the load run and its worker processes say to each other: one JSON object per line.

Parent to worker: the job (``url``, ``spec``, ``cookie_name``, ``headers``, ``ids``), then
``{"go": t0}`` (t0 on the monotonic clock, which is the same in every process of the machine),
then ``{"stop": true}`` (or the end of the stream). Worker to parent: ``{"ready": true}``,
``{"answered": browser}`` at each browser's first successful answer, ``{"ended": t}`` when its
last browser stopped, ``{"hits": [...]}`` (rows in ``HIT_FIELDS`` order) and last ``{"done": true}``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pytest_sticky.load.result import Hit
from pytest_sticky.load.spec import LoadSpec

HIT_FIELDS = tuple(f.name for f in dataclasses.fields(Hit))
HITS_PER_LINE = 200
LINE_LIMIT = 4 * 1024 * 1024
"""Bytes a line may have (200 hits with long error texts stay far below it)."""


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def job(url: str, spec: LoadSpec, cookie_name: str | None, headers: dict[str, str], ids: range) -> bytes:
    return line(
        {
            "url": url,
            "spec": dataclasses.asdict(spec),
            "cookie_name": cookie_name,
            "headers": headers,
            "ids": [ids.start, ids.stop],
        }
    )


def hit_lines(hits: list[Hit]) -> list[bytes]:
    rows = [[getattr(h, name) for name in HIT_FIELDS] for h in hits]
    return [line({"hits": rows[i : i + HITS_PER_LINE]}) for i in range(0, len(rows), HITS_PER_LINE)]


def hits_of(message: dict[str, Any]) -> list[Hit]:
    return [Hit(*row) for row in message["hits"]]
