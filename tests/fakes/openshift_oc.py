"""A stand-in for ``oc``: answers the commands ``openshift_client`` builds, as ``oc`` does.

Run as ``tests/fakes/oc``. Standard library only (it runs under whatever ``python3`` is on PATH).
Every call appends one JSON line to ``$FAKE_OC_LOG``: ``{"argv", "stdin", "rc", "stderr", "t", "s"}``
(stdin parsed when it is JSON; start time and seconds taken), so tests assert the exact commands
and the objects sent.

What it knows lives in ``$FAKE_OC_STATE/state.json``: Routes always (there is no router and no
Route API anywhere else), and projects and other objects unless ``$FAKE_OC_KUBECONFIG`` is set;
then those go to a real cluster through ``kubectl --kubeconfig $FAKE_OC_KUBECONFIG`` (projects
as namespaces), so pods really run.

Settings (environment):
  FAKE_OC_USER              the logged-in user; unset or empty: not logged in
  FAKE_OC_SERVER            what ``oc whoami --show-server`` prints
  FAKE_OC_CURRENT_PROJECT   the current project (``oc project -q``)
  FAKE_OC_PROJECT_REQUESTS  ``allow`` (default) or ``forbid`` (self-provisioning is off)
  FAKE_OC_FORBID            comma list of ``verb:resource`` the user may not do, e.g. ``create:routes``
  FAKE_OC_ADMIT             ``after:N`` (a router admits a Route when it is read the Nth time;
                            default ``after:1``), ``never`` (no router reports) or ``reject``
  FAKE_OC_APPS_DOMAIN       the router's domain for generated hosts (default ``apps.fake.test``)
  FAKE_OC_DELETE_POLLS      how many reads a deleted project stays Terminating (state mode)
  FAKE_OC_KUBECTL           the kubectl to delegate to (default ``kubectl``)
  FAKE_OC_HANG              a verb (e.g. ``get``) that hangs for a minute, as against a dead server
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROUTE_KINDS = {"route", "routes", "route.route.openshift.io"}
PROJECT_KINDS = {"project", "projects", "project.project.openshift.io"}
NAMESPACE_KINDS = {"namespace", "namespaces", "ns"}
QUALIFIED = {
    "ConfigMap": "configmap",
    "Service": "service",
    "Pod": "pod",
    "StatefulSet": "statefulset.apps",
    "Deployment": "deployment.apps",
    "Route": "route.route.openshift.io",
}
PLURAL = {
    "ConfigMap": "configmaps",
    "Service": "services",
    "Pod": "pods",
    "StatefulSet": "statefulsets",
    "Deployment": "deployments",
    "Route": "routes",
}
GROUP = {"StatefulSet": "apps", "Deployment": "apps", "Route": "route.openshift.io"}
GLOBAL_FLAGS = ("--kubeconfig=", "--server=", "--token=", "--cacert=", "--namespace=", "--context=", "--loglevel=")


class Failed(Exception):
    def __init__(self, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr, self.stdout = stderr, stdout


class Call:
    def __init__(self, argv: list[str], stdin: str) -> None:
        self.verb = argv[0] if argv else ""
        self.globals: dict[str, str] = {}
        self.args: list[str] = []
        for arg in argv[1:]:
            flag = next((f for f in GLOBAL_FLAGS if arg.startswith(f)), None)
            if flag:
                self.globals[flag[2:-1]] = arg[len(flag) :]
            else:
                self.args.append(arg)
        self.stdin = stdin
        self.state_dir = Path(os.environ["FAKE_OC_STATE"])
        self.kubeconfig = os.environ.get("FAKE_OC_KUBECONFIG", "")
        self.user = os.environ.get("FAKE_OC_USER", "")
        self.out: list[str] = []
        self.err: list[str] = []

    # -- helpers -------------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        return self.globals.get("namespace") or self.state.get("current_project") or ""

    def flag(self, name: str) -> str | None:
        for arg in self.args:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
        return None

    def positional(self) -> list[str]:
        skip_next = {"-f", "--description", "--display-name"}
        result, skipping = [], False
        for arg in self.args:
            if skipping:
                skipping = False
                continue
            if arg in skip_next:
                skipping = True
                continue
            if not arg.startswith("-"):
                result.append(arg)
        return result

    def option_value(self, name: str) -> str | None:
        if name in self.args:
            i = self.args.index(name)
            return self.args[i + 1] if i + 1 < len(self.args) else None
        return None

    def forbidden(self, verb: str, resource: str, namespace: str, *, creating: bool = False) -> str | None:
        rules = {r.strip() for r in os.environ.get("FAKE_OC_FORBID", "").split(",") if r.strip()}
        if f"{verb}:{resource}" not in rules:
            return None
        group = next((GROUP[k] for k, p in PLURAL.items() if p == resource and k in GROUP), "")
        qualified = f"{resource}.{group}" if group else resource
        prefix = 'error when creating "STDIN": ' if creating else ""
        return (
            f'Error from server (Forbidden): {prefix}{qualified} is forbidden: User "{self.user}" cannot {verb} '
            f'resource "{resource}" in API group "{group}" in the namespace "{namespace}"'
        )

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
        command = [os.environ.get("FAKE_OC_KUBECTL", "kubectl"), "--kubeconfig", self.kubeconfig]
        command += ["--request-timeout=30s"]
        if self.globals.get("context"):
            command += ["--context", self.globals["context"]]
        done = subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise Failed(done.stderr, done.stdout)
        return done

    # -- state ---------------------------------------------------------------------------------

    @contextmanager
    def locked_state(self) -> Any:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "state.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.state_dir / "state.json"
            self.state: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
            self.state.setdefault("projects", {})
            self.state.setdefault("objects", {})
            self.state.setdefault("routes", {})
            self.state.setdefault("route_reads", {})
            if "current_project" not in self.state:
                self.state["current_project"] = os.environ.get("FAKE_OC_CURRENT_PROJECT", "")
            try:
                yield
            finally:
                path.write_text(json.dumps(self.state, indent=1))

    # -- commands ------------------------------------------------------------------------------

    def run(self) -> int:
        if self.verb == os.environ.get("FAKE_OC_HANG"):
            time.sleep(60)
        with self.locked_state():
            try:
                if self.verb not in ("version",) and not self.user:
                    raise Failed("error: You must be logged in to the server (Unauthorized)\n")
                handler = getattr(self, "do_" + self.verb.replace("-", "_"), None)
                if handler is None:
                    raise Failed(f"fake oc: unsupported command: {self.verb} {self.args}\n")
                handler()
            except Failed as exc:
                if exc.stdout:
                    self.out.append(exc.stdout)
                self.err.append(exc.stderr)
                return 1
        return 1 if self.err else 0

    def do_whoami(self) -> None:
        if "--show-server" in self.args:
            server = os.environ.get("FAKE_OC_SERVER", "")
            if not server and self.kubeconfig:
                server = self.kubectl(
                    "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"
                ).stdout
            self.out.append((server or "https://api.fake.test:6443") + "\n")
        else:
            self.out.append(self.user + "\n")

    def do_config(self) -> None:
        if self.positional()[:1] != ["current-context"]:
            raise Failed(f"fake oc: unsupported: config {self.args}\n")
        if self.kubeconfig:
            done = self.kubectl("config", "current-context", check=True)
            self.out.append(done.stdout)
        else:
            self.out.append(f"{self.state['current_project'] or 'default'}/api-fake-test:6443/{self.user}\n")

    def do_project(self) -> None:
        if not self.state["current_project"]:
            raise Failed('error: no project has been set; use "oc project <name>" to select one\n')
        self.out.append(self.state["current_project"] + "\n")

    def do_new_project(self) -> None:
        name = self.positional()[0]
        if os.environ.get("FAKE_OC_PROJECT_REQUESTS", "allow") == "forbid":
            raise Failed("Error from server (Forbidden): You may not request a new project via this API.\n")
        annotations = {
            "openshift.io/description": self.option_value("--description") or "",
            "openshift.io/display-name": self.option_value("--display-name") or "",
            "openshift.io/requester": self.user,
        }
        if self.kubeconfig:
            done = self.kubectl("create", "namespace", name)
            if done.returncode != 0:
                raise Failed(done.stderr.replace('namespaces "', 'project.project.openshift.io "'))
            self.kubectl("annotate", "namespace", name, *(f"{k}={v}" for k, v in annotations.items()), check=True)
        else:
            if name in self.state["projects"]:
                raise Failed(
                    f'Error from server (AlreadyExists): project.project.openshift.io "{name}" already exists\n'
                )
            self.state["projects"][name] = {
                "metadata": {"name": name, "annotations": annotations, "labels": {}, "uid": str(uuid.uuid4())},
                "status": {"phase": "Active"},
            }
        self.out.append(f'Created project "{name}" on server "{os.environ.get("FAKE_OC_SERVER", "")}".\n')

    def do_label(self) -> None:
        target, *pairs = self.positional()
        kind, _, name = target.partition("/")
        if kind not in NAMESPACE_KINDS:
            raise Failed(f"fake oc: unsupported: label {self.args}\n")
        denied = self.forbidden("patch", "namespaces", name)
        if denied:
            raise Failed(denied.replace("namespaces is forbidden", f'namespaces "{name}" is forbidden') + "\n")
        if self.kubeconfig:
            self.kubectl("label", "namespace", name, "--overwrite", *pairs, check=True)
        else:
            labels = self.state["projects"][name]["metadata"]["labels"]
            labels.update(dict(p.split("=", 1) for p in pairs))
        self.out.append(f"namespace/{name} labeled\n")

    def do_create(self) -> None:
        document = json.loads(self.stdin)
        items = document["items"] if document.get("kind") == "List" else [document]
        namespace = self.namespace
        errors: list[str] = []
        others = []
        for item in items:
            kind = item["kind"]
            denied = self.forbidden("create", PLURAL.get(kind, kind.lower() + "s"), namespace, creating=True)
            if denied:
                errors.append(denied)
            elif kind == "Route":
                errors += self.create_route(item, namespace)
            else:
                others.append(item)
        if others and self.kubeconfig:
            listing = json.dumps({"apiVersion": "v1", "kind": "List", "items": others})
            done = self.kubectl("create", "-n", namespace, "-o", "name", "-f", "-", stdin=listing)
            self.out.append(done.stdout)
            errors += done.stderr.strip().splitlines()
        elif others:
            for item in others:
                errors += self.create_object(item, namespace)
        if errors:
            raise Failed("\n".join(errors) + "\n")

    def create_route(self, route: dict[str, Any], namespace: str) -> list[str]:
        name = route["metadata"]["name"]
        routes = self.state["routes"].setdefault(namespace, {})
        if not self.namespace_exists(namespace):
            return [f'Error from server (NotFound): error when creating "STDIN": namespaces "{namespace}" not found']
        if name in routes:
            return [
                f'Error from server (AlreadyExists): error when creating "STDIN": '
                f'routes.route.openshift.io "{name}" already exists'
            ]
        route = json.loads(json.dumps(route))
        route["metadata"].update(
            namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        route["spec"].setdefault("host", f"{name}-{namespace}.{apps_domain()}")
        route["spec"].setdefault("wildcardPolicy", "None")
        route["status"] = {}
        routes[name] = route
        self.out.append(f"route.route.openshift.io/{name}\n")
        return []

    def create_object(self, obj: dict[str, Any], namespace: str) -> list[str]:
        if not self.namespace_exists(namespace):
            return [f'Error from server (NotFound): error when creating "STDIN": namespaces "{namespace}" not found']
        qname = f"{QUALIFIED.get(obj['kind'], obj['kind'].lower())}/{obj['metadata']['name']}"
        objects = self.state["objects"].setdefault(namespace, {})
        if qname in objects:
            return [f'Error from server (AlreadyExists): error when creating "STDIN": {qname} already exists']
        objects[qname] = obj
        self.out.append(qname + "\n")
        return []

    def namespace_exists(self, namespace: str) -> bool:
        if self.kubeconfig:
            return self.kubectl("get", "namespace", namespace, "-o", "name").returncode == 0
        project = self.state["projects"].get(namespace)
        return namespace == self.state["current_project"] or (project is not None and "deleting" not in project)

    def do_get(self) -> None:
        output = self.flag("-o") or ""
        selector = self.flag("--selector")
        namespace = self.namespace
        items: list[dict[str, Any]] = []
        names: list[str] = []
        for target in self.positional():
            kind, _, name = target.partition("/")
            if not name:  # a list of kinds, maybe with a label selector
                for each in kind.split(","):
                    names += self.list_kind(each, namespace, selector)
                continue
            obj = self.get_one(kind, name, namespace)
            items.append(obj)
            names.append(f"{QUALIFIED.get(obj['kind'], kind)}/{name}")
        if output == "name":
            self.out.append("".join(n + "\n" for n in names))
        elif output == "json":
            document = items[0] if len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items}
            self.out.append(json.dumps(document, indent=2) + "\n")
        else:
            raise Failed(f"fake oc: unsupported: get {self.args}\n")

    def get_one(self, kind: str, name: str, namespace: str) -> dict[str, Any]:
        if kind in ROUTE_KINDS:
            route = self.state["routes"].get(namespace, {}).get(name)
            if route is None:
                raise Failed(f'Error from server (NotFound): routes.route.openshift.io "{name}" not found\n')
            self.admit(route, f"{namespace}/{name}")
            return dict(route)
        if kind in PROJECT_KINDS | NAMESPACE_KINDS:
            return self.get_namespace(name, as_project=kind in PROJECT_KINDS)
        if self.kubeconfig:
            done = self.kubectl("get", "-n", namespace, "-o", "json", f"{kind}/{name}")
            if done.returncode != 0:
                raise Failed(done.stderr)
            return dict(json.loads(done.stdout))
        obj = self.state["objects"].get(namespace, {}).get(f"{kind}/{name}")
        if obj is None:
            raise Failed(f'Error from server (NotFound): {kind} "{name}" not found\n')
        return dict(obj)

    def get_namespace(self, name: str, *, as_project: bool) -> dict[str, Any]:
        noun = "projects.project.openshift.io" if as_project else "namespaces"
        if self.kubeconfig:
            done = self.kubectl("get", "namespace", name, "-o", "json")
            if done.returncode != 0:
                raise Failed(done.stderr.replace('namespaces "', f'{noun} "'))
            obj: dict[str, Any] = json.loads(done.stdout)
        else:
            project = self.state["projects"].get(name)
            if project is None:
                raise Failed(f'Error from server (NotFound): {noun} "{name}" not found\n')
            if "deleting" in project:
                if project["deleting"] <= 0:
                    del self.state["projects"][name]
                    raise Failed(f'Error from server (NotFound): {noun} "{name}" not found\n')
                project["deleting"] -= 1
            obj = json.loads(json.dumps(project))
            obj.update(apiVersion="v1", kind="Namespace")
        if as_project:
            obj.update(apiVersion="project.openshift.io/v1", kind="Project")
        return obj

    def list_kind(self, kind: str, namespace: str, selector: str | None) -> list[str]:
        wanted = dict(pair.split("=", 1) for pair in selector.split(",")) if selector else {}

        def matches(obj: dict[str, Any]) -> bool:
            labels = obj.get("metadata", {}).get("labels") or {}
            return all(labels.get(k) == v for k, v in wanted.items())

        if kind in ROUTE_KINDS:
            routes = self.state["routes"].get(namespace, {})
            return [f"route.route.openshift.io/{n}" for n, r in routes.items() if matches(r)]
        if self.kubeconfig:
            args = ["get", "-n", namespace, "-o", "name", kind] + (["-l", selector] if selector else [])
            done = self.kubectl(*args, check=True)
            return done.stdout.split()
        objects = self.state["objects"].get(namespace, {})
        return [q for q, obj in objects.items() if q.split("/")[0] == kind and matches(obj)]

    def admit(self, route: dict[str, Any], key: str) -> None:
        reads = self.state["route_reads"][key] = self.state["route_reads"].get(key, 0) + 1
        mode = os.environ.get("FAKE_OC_ADMIT", "after:1")
        host = route["spec"]["host"]
        ingress = {
            "host": host,
            "routerName": "default",
            "wildcardPolicy": "None",
            "routerCanonicalHostname": f"router-default.{apps_domain()}",
        }
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if mode == "reject":
            condition = {
                "type": "Admitted",
                "status": "False",
                "reason": "HostAlreadyClaimed",
                "message": f"route other already exposes {host} and is older",
                "lastTransitionTime": now,
            }
            route["status"] = {"ingress": [{**ingress, "conditions": [condition]}]}
        elif mode.startswith("after:") and reads >= int(mode.split(":")[1]) and not route["status"]:
            condition = {"type": "Admitted", "status": "True", "lastTransitionTime": now}
            route["status"] = {"ingress": [{**ingress, "conditions": [condition]}]}

    def do_delete(self) -> None:
        targets = self.positional()
        namespace = self.namespace
        if targets[:1] == ["project"]:
            self.delete_project(targets[1])
            return
        others = []
        for target in targets:
            kind, _, name = target.partition("/")
            if kind in ROUTE_KINDS:
                if self.state["routes"].get(namespace, {}).pop(name, None) is not None:
                    self.out.append(f"route.route.openshift.io/{name}\n")
            elif self.kubeconfig:
                others.append(target)
            elif self.state["objects"].get(namespace, {}).pop(target, None) is not None:
                self.out.append(target + "\n")
        if others:
            done = self.kubectl("delete", "-n", namespace, *others, "--ignore-not-found", "-o", "name", check=True)
            self.out.append(done.stdout)

    def delete_project(self, name: str) -> None:
        denied = self.forbidden("delete", "projects", name)
        if denied:
            raise Failed(
                denied.replace("projects is forbidden", f'projects.project.openshift.io "{name}" is forbidden')
            )
        self.state["routes"].pop(name, None)
        if self.kubeconfig:
            done = self.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false")
            if done.returncode != 0:
                raise Failed(done.stderr)
        elif name in self.state["projects"]:
            self.state["projects"][name]["deleting"] = int(os.environ.get("FAKE_OC_DELETE_POLLS", "2"))
            self.state["projects"][name]["status"] = {"phase": "Terminating"}
            self.state["objects"].pop(name, None)
        elif "--ignore-not-found" not in self.args:
            raise Failed(f'Error from server (NotFound): projects.project.openshift.io "{name}" not found\n')
        self.out.append(f'project.project.openshift.io "{name}" deleted\n')


def apps_domain() -> str:
    return os.environ.get("FAKE_OC_APPS_DOMAIN", "apps.fake.test")


def main(argv: list[str]) -> int:
    started = time.time()
    stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    call = Call(argv, stdin)
    rc = call.run()
    stdout, stderr = "".join(call.out), "".join(e if e.endswith("\n") else e + "\n" for e in call.err)
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    log = os.environ.get("FAKE_OC_LOG")
    if log:
        try:
            parsed: Any = json.loads(stdin) if stdin.strip() else None
        except ValueError:
            parsed = stdin
        with open(log, "a") as f:
            took = round(time.time() - started, 3)
            f.write(json.dumps({"argv": argv, "stdin": parsed, "rc": rc, "stderr": stderr, "t": started, "s": took}))
            f.write("\n")
    return rc
