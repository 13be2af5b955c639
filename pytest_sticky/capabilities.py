"""Tests that cannot run: why, counted, and what ``--sticky-strict`` makes of them.

Two kinds of "not run", told apart on purpose:

- **missing capability**: the run's cluster should offer something the test needs and does not
  (cookie affinity where the app is reached through a Service, an ingress controller on
  ``existing``/``kind``, a Redis session store on ``local`` without ``redis-server``). Skipped and
  counted; under ``--sticky-strict`` they fail: the run the user asked for did not prove it.
- **another cluster type**: the test is written for a different ``--sticky-cluster``
  (``@pytest.mark.sticky_cluster("openshift")`` on a ``local`` run, the ingress annotation
  suite on ``local``). Skipped and counted in every mode: the run never promised them.

Both are ``pytest.skip`` exceptions, so they behave as skips wherever the plugin does not look;
the plugin's report hook tags their reports (``user_properties``, which survive pytest-xdist).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from _pytest.outcomes import Skipped  # what pytest.skip raises (pytest.skip.Exception)

if TYPE_CHECKING:
    from pytest_sticky.app import StickyApp

PROPERTY = "sticky_not_run"
MISSING = "missing capability"
OTHER_CLUSTER = "another cluster type"
STRICT_PREFIX = "--sticky-strict: a missing capability fails the run"


class NotRun(Skipped):
    kind = ""


class MissingCapability(NotRun):
    """The run's cluster lacks what the test needs (fails under ``--sticky-strict``)."""

    kind = MISSING


class OtherClusterType(NotRun):
    """The test is for another ``--sticky-cluster`` (a skip in every mode, but counted)."""

    kind = OTHER_CLUSTER


def missing(reason: str) -> NoReturn:
    """Skip the current test for a capability the run's cluster lacks (a failure under strict)."""
    raise MissingCapability(msg=reason)


def other_cluster(reason: str) -> NoReturn:
    """Skip the current test: it is written for another cluster type."""
    raise OtherClusterType(msg=reason)


def classify(exc: BaseException | None) -> tuple[str, str] | None:
    """(kind, reason) when ``exc`` is one of ours."""
    if isinstance(exc, NotRun):
        return exc.kind, str(exc.msg)
    return None


def no_cookie_affinity(app: StickyApp, what: str) -> str:
    """Why ``what`` cannot be shown for ``app``: the path it is reached by, why, how to get cookies."""
    why = getattr(app, "no_cookie_reason", "") or (
        "a Service has no cookie affinity: kube-proxy can at most pin a client by its IP "
        "(sessionAffinity: ClientIP), so no affinity cookie is ever set"
    )
    return (
        f"{what} needs cookie affinity, but this run reaches {app.name} through {app.reached_via}. {why}. "
        "To get cookie affinity: --sticky-cluster=kind (installs ingress-nginx), or on an existing cluster "
        "install an ingress controller (e.g. ingress-nginx) and pass --sticky-ingress=nginx|traefik "
        "--sticky-ingress-url=URL, or --sticky-cluster=local"
    )


def tag(report: pytest.TestReport, exc: BaseException | None, *, strict: bool) -> None:
    """Mark ``report`` as not run (and, for a missing capability under strict, as failed)."""
    found = classify(exc)
    if found is None or not report.skipped:
        return
    kind, reason = found
    report.user_properties.append((PROPERTY, {"kind": kind, "reason": reason}))
    # shown at the test, as a plain skip's reason (not as "...capabilities.MissingCapability: ...")
    path, line, _ = report.location
    report.longrepr = (path, (line or 0) + 1, f"Skipped: {reason}")
    if strict and kind == MISSING:
        report.outcome = "failed"
        report.longrepr = f"{STRICT_PREFIX}: {reason}"


def from_report(properties: list[tuple[str, Any]]) -> tuple[str, str] | None:
    """(kind, reason) when the report was tagged as not run."""
    for name, value in properties:
        if name == PROPERTY and isinstance(value, dict):
            return str(value["kind"]), str(value["reason"])
    return None
