"""Parse Mermaid charts with the real Mermaid release pinned in ``.ci/mermaid/package.json``.

GitHub renders the ```mermaid blocks of a job summary with Mermaid; a chart Mermaid cannot parse
shows as an error box there. ``.ci/run`` installs the pinned release (``npm ci --prefix
.ci/mermaid``); elsewhere the tests that use it skip, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHECKER = Path(__file__).resolve().parent.parent / ".ci" / "mermaid"
BLOCK = re.compile(r"```mermaid\n(.*?)```", re.S)


def blocks(markdown: str) -> list[str]:
    """The sources of the ```mermaid blocks in ``markdown``."""
    return BLOCK.findall(markdown)


def parse(sources: list[str]) -> list[dict[str, Any]]:
    """Per source: ``{"ok": True, "type": ...}`` or ``{"ok": False, "error": ...}``; skips the test
    when Node.js or the pinned Mermaid is missing."""
    node = shutil.which("node")
    if node is None or not (CHECKER / "node_modules" / "mermaid").is_dir():
        message = (
            "the Mermaid check needs Node.js 20+ and the pinned Mermaid: run `npm ci --prefix .ci/mermaid` "
            "(.ci/run does)"
        )
        if os.environ.get("STICKY_REQUIRE_MERMAID") == "1":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [node, str(CHECKER / "parse.mjs")],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=CHECKER,
    )
    assert done.returncode == 0, f"the Mermaid checker failed:\n{done.stderr}"
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results
