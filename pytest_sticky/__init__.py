"""pytest-sticky: prove that sticky sessions work, and show what happens when they break.

The helpers are importable for use against any URL::

    from pytest_sticky import assert_sticky, kill_serving_pod

They are loaded on first use, so that loading the plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The one place of the version (pyproject.toml reads it from here); a release bumps it together with
# CHANGELOG.md, see CONTRIBUTING.md.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from pytest_sticky.assertions import StickinessError, assert_spread, assert_sticky
    from pytest_sticky.client import RequestRecord, StickyClient
    from pytest_sticky.failover import KilledPod, kill_serving_pod

_LAZY = {
    "assert_sticky": "pytest_sticky.assertions",
    "assert_spread": "pytest_sticky.assertions",
    "StickinessError": "pytest_sticky.assertions",
    "StickyClient": "pytest_sticky.client",
    "RequestRecord": "pytest_sticky.client",
    "kill_serving_pod": "pytest_sticky.failover",
    "KilledPod": "pytest_sticky.failover",
}

__all__ = [
    "KilledPod",
    "RequestRecord",
    "StickinessError",
    "StickyClient",
    "__version__",
    "assert_spread",
    "assert_sticky",
    "kill_serving_pod",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_sticky' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
