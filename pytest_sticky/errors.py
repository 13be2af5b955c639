"""Errors the plugin raises on purpose; the fixtures show them without a traceback."""

from __future__ import annotations


class StickyError(Exception):
    """Base of pytest-sticky's own errors: the message says what happened and what to do."""


class SetupError(StickyError):
    """The cluster, proxy or app could not be brought up."""


class MissingTool(SetupError):
    """A program the chosen configuration needs is not installed; the message says how to get it."""


class ClusterUnavailable(StickyError):
    """The chosen cluster cannot be used from this machine (no client, not logged in).

    The ``sticky_cluster`` fixture turns it into an error (never a skip: the cluster was asked for);
    the message says how to make it usable.
    """
