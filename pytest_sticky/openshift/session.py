"""The ``oc`` login the run uses: which ``oc``, who is logged in, to which server and context.

Without an ``oc`` or a login the provider cannot run at all: :class:`ClusterUnavailable` (the
tests that need the cluster error) says how to install ``oc`` or how to log in.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from pytest_sticky.errors import ClusterUnavailable, SetupError
from pytest_sticky.openshift.runner import OcError, OcRunner

OC_PATH_ENV = "OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH"
INSTALL_OC = (
    "install the OpenShift CLI: download openshift-client-linux.tar.gz from "
    "https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable/ (or the web console's "
    "'?' menu -> Command Line Tools), unpack `oc` onto PATH or point "
    f"{OC_PATH_ENV} at it"
)
LOGIN = (
    "log in first: oc login --server=https://api.<cluster>:6443 --token=<token> "
    "(the web console's user menu -> 'Copy login command' shows both)"
)


@dataclass(frozen=True)
class Session:
    runner: OcRunner
    user: str
    server: str
    context: str
    """The kubeconfig context ``oc`` uses (the Kubernetes client is built from the same one)."""


def find_oc() -> str:
    """The ``oc`` to run: ``$OPENSHIFT_CLIENT_PYTHON_DEFAULT_OC_PATH``, else the one on PATH."""
    configured = os.environ.get(OC_PATH_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ClusterUnavailable(f"{OC_PATH_ENV}={configured} is not an executable oc: {INSTALL_OC}")
        return found
    found = shutil.which("oc")
    if found is None:
        raise ClusterUnavailable(
            f"--sticky-cluster=openshift needs the oc client, and there is no oc on PATH: {INSTALL_OC}"
        )
    return found


def login(*, kubeconfig: str | None, context: str | None, timeout: float) -> Session:
    """The logged-in session (``oc whoami`` succeeds), or :class:`ClusterUnavailable` saying how to log in."""
    try:
        import openshift_client  # noqa: F401 (only: is it installed?)
    except ImportError:
        raise SetupError(
            "--sticky-cluster=openshift needs the openshift-client package: pip install 'pytest-sticky[openshift]'"
        ) from None
    if context and context != context.lower():
        raise SetupError(
            f"--sticky-context={context}: openshift_client lower-cases the options it passes to oc, so this "
            "context cannot be named; select it with `oc config use-context` and leave out --sticky-context"
        )
    runner = OcRunner(find_oc(), kubeconfig=kubeconfig, context=context, timeout=min(timeout, 30.0))
    try:
        user = runner.call("find out who is logged in", lambda oc: oc.whoami())
    except OcError as exc:
        raise ClusterUnavailable(
            f"`oc whoami` failed, so there is no OpenShift login to use: {exc.stderr}; {LOGIN}"
        ) from None
    server = runner.call("read the API server's address", lambda oc: oc.invoke("whoami", ["--show-server"]).out())
    current = context or runner.call("read the current context", lambda oc: oc.get_config_context())
    if not current:
        raise SetupError(f"oc has no current context in its kubeconfig although `oc whoami` works; {LOGIN}")
    return Session(runner=runner, user=str(user).strip(), server=str(server).strip(), context=str(current).strip())
