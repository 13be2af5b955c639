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
    from pytest_sticky.load.actions import KillPod, RollingRestart, ScaleTo
    from pytest_sticky.load.failure import LoadBudgetError
    from pytest_sticky.load.result import LoadResult
    from pytest_sticky.load.run import sticky_load

_LAZY = {
    "assert_sticky": "pytest_sticky.assertions",
    "assert_spread": "pytest_sticky.assertions",
    "StickinessError": "pytest_sticky.assertions",
    "StickyClient": "pytest_sticky.client",
    "RequestRecord": "pytest_sticky.client",
    "kill_serving_pod": "pytest_sticky.failover",
    "KilledPod": "pytest_sticky.failover",
    "sticky_load": "pytest_sticky.load.run",
    "LoadResult": "pytest_sticky.load.result",
    "LoadBudgetError": "pytest_sticky.load.failure",
    "RollingRestart": "pytest_sticky.load.actions",
    "ScaleTo": "pytest_sticky.load.actions",
    "KillPod": "pytest_sticky.load.actions",
}

__all__ = [
    "KillPod",
    "KilledPod",
    "LoadBudgetError",
    "LoadResult",
    "RequestRecord",
    "RollingRestart",
    "ScaleTo",
    "StickinessError",
    "StickyClient",
    "__version__",
    "assert_spread",
    "assert_sticky",
    "kill_serving_pod",
    "sticky_load",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_sticky' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
