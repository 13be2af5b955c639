"""The one place that calls ``openshift_client``: its contexts, deadlines and readable errors.

``openshift_client`` shells out to ``oc``. Every call made here runs inside the same contexts:
the ``oc`` found at start-up (``oc.client_path``), the kubeconfig and context the run was given,
the project when one applies (``oc.project``) and a deadline (``oc.timeout``). A failed call
becomes an :class:`OcError` carrying the command and ``oc``'s own error text, and a Forbidden
answer is turned into the permission that is missing and who can grant it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pytest_sticky.errors import SetupError

T = TypeVar("T")

FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>[\w-]+) resource "(?P<resource>[^"]+)"'
    r' in API group "(?P<group>[^"]*)"(?: in the namespace "(?P<namespace>[^"]+)")?'
)
"""The RBAC denial the API server sends (and ``oc`` prints) for a request it forbids."""
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


class OcError(SetupError):
    """An ``oc`` call failed; ``stderr`` is what ``oc`` said, ``command`` what was run."""

    def __init__(
        self,
        doing: str,
        command: list[str],
        stderr: str,
        *,
        timed_out: bool,
        project: str | None,
        stdout: str = "",
    ) -> None:
        self.doing, self.command, self.stderr, self.timed_out = doing, command, stderr.strip(), timed_out
        self.stdout = stdout
        """What ``oc`` printed before failing (e.g. the objects ``oc create`` did create)."""
        self.forbidden = "(Forbidden)" in self.stderr or "forbidden" in self.stderr.lower()
        hint = permission_hint(self.stderr, project)
        head = f"could not {doing}: " + (
            f"`{shlex.join(command)}` did not finish in time" if timed_out else f"`{shlex.join(command)}` failed"
        )
        super().__init__("\n".join(part for part in (head, self.stderr, hint) if part))


def permission_hint(stderr: str, project: str | None) -> str:
    """Which permission a Forbidden answer names, and the role that grants it ("" if none is named)."""
    match = FORBIDDEN.search(stderr)
    if match is None:
        return ""
    resource = match["resource"] + (f".{match['group']}" if match["group"] else "")
    namespace = match["namespace"] or project
    if namespace is None:
        return f"missing permission: {match['user']} cannot {match['verb']} {resource} at the cluster scope"
    role = "edit" if match["verb"] in WRITE_VERBS else "view"
    return (
        f"missing permission: {match['user']} cannot {match['verb']} {resource} in project {namespace}: "
        f"ask for the '{role}' role (a project admin runs: oc adm policy add-role-to-user {role} "
        f"{match['user']} -n {namespace})"
    )


@dataclass(frozen=True)
class OcRunner:
    oc_path: str
    kubeconfig: str | None = None
    context: str | None = None
    timeout: float = 60.0

    @contextmanager
    def scope(self, project: str | None = None, timeout: float | None = None) -> Iterator[Any]:
        """``openshift_client`` inside this run's contexts; yields the module."""
        import openshift_client as oc

        with ExitStack() as stack:
            stack.enter_context(oc.client_path(self.oc_path))
            if self.kubeconfig:
                stack.enter_context(oc.api_server(kubeconfig_path=self.kubeconfig))
            if self.context:
                # openshift_client lower-cases option values; session.login refuses other context names.
                stack.enter_context(oc.options({"context": self.context}))
            if project:
                stack.enter_context(oc.project(project))
            stack.enter_context(oc.timeout(max(1, round(timeout if timeout is not None else self.timeout))))
            yield oc

    def call(
        self, doing: str, action: Callable[[Any], T], *, project: str | None = None, timeout: float | None = None
    ) -> T:
        """``action(openshift_client)`` in scope; an :class:`OcError` that says what failed."""
        from openshift_client import OpenShiftPythonException

        with self.scope(project, timeout) as oc:
            try:
                return action(oc)
            except OpenShiftPythonException as exc:
                raise self.error(doing, exc, project) from None
            except OSError as exc:  # oc could not be started at all
                raise OcError(doing, [self.oc_path], str(exc), timed_out=False, project=project) from None

    def error(self, doing: str, exc: Any, project: str | None) -> OcError:
        command, stdout, stderr, timed_out = failed_action(exc)
        return OcError(
            doing,
            command or [self.oc_path],
            stderr or str(exc.msg),
            timed_out=timed_out,
            project=project,
            stdout=stdout,
        )


def failed_action(exc: Any) -> tuple[list[str], str, str, bool]:
    """(command, stdout, stderr, timed out) of the ``oc`` run that made ``exc`` (tokens redacted)."""
    result = exc.get_result()
    actions = result.as_dict(redact_streams=False)["actions"] if result is not None else []
    failed = [a for a in actions if a["status"] != 0] or actions
    if not failed:
        return [], "", "", False
    last = failed[-1]
    stdout = last.get("out")  # absent when it was JSON (then it is "out_obj")
    command = [str(part) for part in last["cmd"]]
    return command, stdout if isinstance(stdout, str) else "", str(last["err"]), bool(last["timeout"])
