"""Where a run's objects live: a project it creates, or the current one when it may not create one.

- Own project (``oc new-project sticky-<run>``): its description names the run, the namespace is
  labelled as ours when the user may label it; at the end it is deleted, after checking that it
  is still the one we made, and the deletion is waited for.
- Shared project (the request is Forbidden, e.g. self-provisioning is off): the objects go into
  ``oc project``'s current project with a ``-<run>`` suffix on their names and the run label;
  at the end exactly the objects this run created are deleted, and waited for.
"""

from __future__ import annotations

import atexit
import json
import secrets
from typing import Any

from pytest_sticky.errors import SetupError
from pytest_sticky.kube.namespace import MANAGED_BY, RUN_LABEL
from pytest_sticky.openshift.runner import OcError
from pytest_sticky.openshift.session import Session
from pytest_sticky.waiting import WaitTimeout, wait_until

DESCRIPTION_KEY = "openshift.io/description"
RUN_KINDS = ["pod", "service", "statefulset.apps", "deployment.apps", "configmap", "route.route.openshift.io"]
"""What a run creates (and, in a shared project, what is watched until it is gone)."""
NAME_LABEL = "app.kubernetes.io/name"


class RunProject:
    def __init__(self, session: Session, *, prefix: str = "sticky", run_id: str | None = None) -> None:
        self.session = session
        self.run = session.runner
        self.run_id = run_id or secrets.token_hex(4)
        self.labels = {**MANAGED_BY, RUN_LABEL: self.run_id}
        self.description = f"pytest-sticky run {self.run_id}: deleted when the run ends"
        self.created: list[str] = []
        """Qualified names (``kind.group/name``) of what this run created (a shared project deletes these)."""
        self.deleted = False
        name = f"{prefix}-{self.run_id}"
        try:
            self.run.call(
                f"create project {name}",
                lambda oc: oc.new_project(
                    name, description=self.description, display_name=f"pytest-sticky {self.run_id}"
                ),
            )
        except OcError as exc:
            if not exc.forbidden:
                raise
            self.name = self._current_project(exc)
            self.owned = False
            self.refused = exc.stderr
        else:
            self.name = name
            self.owned = True
            self.refused = ""
        atexit.register(self._delete_quietly)  # also after Ctrl-C or an error in teardown
        if self.owned:
            self._label_namespace()

    @property
    def suffix(self) -> str:
        """Appended to the names of our objects: none in our own project, ``-<run>`` in a shared one."""
        return "" if self.owned else f"-{self.run_id}"

    def _current_project(self, refused: OcError) -> str:
        try:
            current: str = self.run.call("read the current project", lambda oc: oc.get_project_name())
        except OcError as exc:
            raise SetupError(
                f"cannot create a project ({refused.stderr}) and oc has no current project to use instead "
                f"({exc.stderr}): choose one with `oc project <name>`, or ask for the self-provisioner role"
            ) from None
        return current.strip()

    def _label_namespace(self) -> None:
        """Label the namespace as ours; only cluster-level roles may, so a Forbidden is fine."""
        try:
            self.run.call(
                f"label namespace {self.name}", lambda oc: oc.selector(f"namespace/{self.name}").label(self.labels)
            )
        except OcError as exc:
            if not exc.forbidden:
                raise

    # -- objects -------------------------------------------------------------------------------

    def stamp(self, obj: dict[str, Any], *, rename_it: bool = False) -> dict[str, Any]:
        """``obj`` with the run's labels (on its pods too); with ``rename_it``, its name gets :attr:`suffix`."""
        metadata = obj.setdefault("metadata", {})
        metadata.setdefault("labels", {}).update(self.labels)
        template = obj.get("spec", {}).get("template")
        if isinstance(template, dict):
            template.setdefault("metadata", {}).setdefault("labels", {}).update(self.labels)
        return rename(obj, self.suffix) if rename_it and self.suffix else obj

    def create(self, objects: list[dict[str, Any]], what: str, *, rename_them: bool = False) -> list[str]:
        """``oc create`` the objects (stamped, and renamed if asked) in the project; their qualified names.

        Objects whose names the caller already made unique (the app's) need no renaming; objects
        from templates with fixed names (Redis, the client pod) do, in a shared project.
        """
        stamped = [self.stamp(obj, rename_it=rename_them) for obj in objects]
        try:
            names: list[str] = self.run.call(
                f"create {what} in project {self.name}",
                lambda oc: oc.create(stamped).qnames(),
                project=self.name,
            )
        except OcError as exc:
            self.created.extend(exc.stdout.split())  # what was created before the failure
            raise
        self.created.extend(names)
        return names

    # -- the end -------------------------------------------------------------------------------

    def delete(self, timeout: float) -> None:
        """Delete what the run made (the project, or its objects) and wait until it is gone."""
        if self.deleted:
            return
        if self.owned:
            self._delete_project(timeout)
        else:
            self._delete_objects(timeout)
        self.deleted = True

    def _delete_project(self, timeout: float) -> None:
        project = self._read_project()
        if project is None:
            return
        annotations = project.get("metadata", {}).get("annotations", {})
        if self.run_id not in annotations.get(DESCRIPTION_KEY, ""):
            raise SetupError(
                f"not deleting project {self.name}: its {DESCRIPTION_KEY} is {annotations.get(DESCRIPTION_KEY)!r}, "
                f"not this run's ({self.description!r}); it is not the project this run created"
            )
        from openshift_client import OpenShiftPythonException

        with self.run.scope(timeout=timeout) as oc:
            try:
                oc.delete_project(self.name, ignore_not_found=True)  # deletes, then polls until it is gone
                return
            except OpenShiftPythonException as exc:
                error = self.run.error(f"delete project {self.name}", exc, self.name)
                deleting = not str(exc.msg).startswith("Unable to delete project")
        if deleting and error.forbidden:
            return  # the deletion removed our role bindings first: we can no longer see the project
        if deleting and error.timed_out:
            raise SetupError(f"project {self.name} is still there {timeout:g} s after deleting it:\n{self.state()}")
        raise error

    def _read_project(self) -> dict[str, Any] | None:
        try:
            text: str = self.run.call(
                f"read project {self.name}", lambda oc: oc.selector(f"project/{self.name}").object_json()
            )
        except OcError as exc:
            if "(NotFound)" in exc.stderr:
                return None
            raise
        project: dict[str, Any] = json.loads(text)
        return project

    def state(self) -> str:
        try:
            project = self._read_project()
        except OcError as exc:
            return f"(cannot read it: {exc.stderr})"
        if project is None:
            return "(gone now)"
        status = project.get("status", {})
        conditions = [
            f"  {c.get('type')}={c.get('status')}: {c.get('message', '')}" for c in status.get("conditions", [])
        ]
        return f"phase {status.get('phase')}\n" + ("\n".join(conditions) or "  no conditions")

    def _delete_objects(self, timeout: float) -> None:
        if self.created:
            self.run.call(
                f"delete this run's objects from project {self.name}",
                lambda oc: oc.selector(self.created).delete(),
                project=self.name,
                timeout=timeout,
            )
        left: list[str] = []

        def gone() -> bool:
            left[:] = self.run.call(
                f"list this run's objects in project {self.name}",
                lambda oc: oc.selector(RUN_KINDS, labels={RUN_LABEL: self.run_id}).qnames(),
                project=self.name,
            )
            return not left

        try:
            wait_until(
                gone,
                what=f"this run's objects in project {self.name} to be deleted",
                timeout=timeout,
                interval=0.5,
                max_interval=2.0,
                state=lambda: "left: " + (", ".join(left) or "none"),
            )
        except WaitTimeout as exc:
            raise SetupError(str(exc)) from None

    def keep(self) -> None:
        """Leave everything for inspection (``--sticky-keep-cluster``)."""
        self.deleted = True

    def _delete_quietly(self) -> None:
        if self.deleted:
            return
        try:
            if self.owned:
                self.run.call("delete", lambda oc: oc.invoke("delete", ["project", self.name, "--wait=false"]))
            elif self.created:
                self.run.call("delete", lambda oc: oc.selector(self.created).delete(), project=self.name)
            self.deleted = True
        except Exception:  # noqa: BLE001 (best effort at interpreter exit)
            pass


def rename(obj: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``obj`` with ``suffix`` on its name and on the ``app.kubernetes.io/name`` label that selects it."""
    metadata = obj["metadata"]
    old = metadata["name"]
    metadata["name"] = old + suffix
    spec = obj.get("spec", {})
    label_sets = [
        metadata.get("labels"),
        spec.get("selector") if obj.get("kind") == "Service" else spec.get("selector", {}).get("matchLabels"),
        spec.get("template", {}).get("metadata", {}).get("labels"),
    ]
    for labels in label_sets:
        if isinstance(labels, dict) and labels.get(NAME_LABEL) == old:
            labels[NAME_LABEL] = old + suffix
    return obj
