"""The ingress controllers of the kind provider, without a cluster.

The pinned ingress-nginx manifest is fetched from a local ``http.server`` on 127.0.0.1 (the
download URL is a module constant the tests point there): never from GitHub.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from pytest_sticky.errors import SetupError
from pytest_sticky.kind import ingress, ingress_nginx
from pytest_sticky.waiting import WaitAborted
from tests.pinned import Unavailable, pinned_manifest


class Server:
    """Serves ``directory`` on 127.0.0.1 and counts the requests."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.requests: list[str] = []
        seen = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                seen.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    www = tmp_path / "www"
    www.mkdir()
    served = Server(www)
    yield served
    served.close()


@pytest.fixture
def pinned_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned manifest as a file (the shared copy, else the plugin's verified download)."""
    try:
        data, _ = pinned_manifest()
    except Unavailable as exc:
        pytest.skip(str(exc))
    path = tmp_path_factory.mktemp("pinned") / "ingress-nginx-controller-v1.15.1-kind-deploy.yaml"
    path.write_bytes(data)
    return path


def test_a_manifest_with_the_wrong_checksum_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    tampered = b"apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n"
    (server.directory / "deploy.yaml").write_bytes(tampered)
    url = server.url("deploy.yaml")
    monkeypatch.setattr(ingress_nginx, "MANIFEST_URL", url)
    with pytest.raises(SetupError) as info:
        ingress_nginx.fetch_manifest()
    message = str(info.value)
    assert message.startswith(f"refusing to install ingress-nginx: the manifest from {url} has sha256 ")
    assert f"has sha256 {ingress_nginx.sha256(tampered)}, expected {ingress_nginx.MANIFEST_SHA256}" in message
    assert "--sticky-ingress-manifest=PATH" in message
    assert not ingress_nginx.cached_manifest_path().exists(), "nothing is cached"
    assert server.requests == ["/deploy.yaml"]


def test_the_pinned_manifest_is_downloaded_once_then_cached(
    server: Server, monkeypatch: pytest.MonkeyPatch, pinned_copy: Path
) -> None:
    (server.directory / "deploy.yaml").write_bytes(pinned_copy.read_bytes())
    monkeypatch.setattr(ingress_nginx, "MANIFEST_URL", server.url("deploy.yaml"))
    assert ingress_nginx.fetch_manifest() == pinned_copy.read_text()
    assert ingress_nginx.cached_manifest_path().read_bytes() == pinned_copy.read_bytes()
    objects, origin = ingress_nginx.manifest("")
    assert origin == f"{ingress_nginx.TAG} ({server.url('deploy.yaml')})"
    assert len(objects) == len([d for d in pinned_copy.read_text().split("\n---") if d.strip()])
    assert server.requests == ["/deploy.yaml"], "the second read comes from the cache"


def test_a_corrupted_cache_is_downloaded_again(
    server: Server, monkeypatch: pytest.MonkeyPatch, pinned_copy: Path
) -> None:
    (server.directory / "deploy.yaml").write_bytes(pinned_copy.read_bytes())
    monkeypatch.setattr(ingress_nginx, "MANIFEST_URL", server.url("deploy.yaml"))
    ingress_nginx.cached_manifest_path().write_text("truncated")
    assert ingress_nginx.fetch_manifest() == pinned_copy.read_text()
    assert server.requests == ["/deploy.yaml"]


def test_an_unreachable_download_says_how_to_do_without(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingress_nginx, "MANIFEST_URL", server.url("missing.yaml"))
    with pytest.raises(
        SetupError, match=r"cannot download the ingress-nginx manifest from .*404.*--sticky-ingress-manifest"
    ):
        ingress_nginx.fetch_manifest()


def test_a_local_manifest_is_used_as_given(pinned_copy: Path, tmp_path: Path) -> None:
    objects, origin = ingress_nginx.manifest(str(pinned_copy))
    assert origin == f"{pinned_copy} (the pinned upstream file)"
    assert {o["kind"] for o in objects} >= {"Namespace", "Deployment", "Job", "ValidatingWebhookConfiguration"}
    mirrored = tmp_path / "mirror.yaml"
    mirrored.write_text(pinned_copy.read_text().replace("registry.k8s.io", "mirror.example"))
    _, origin = ingress_nginx.manifest(str(mirrored))
    assert origin.startswith(f"{mirrored} (sha256 "), "an edited copy (a mirror's images) is allowed, and shown"
    with pytest.raises(SetupError, match=r"--sticky-ingress-manifest=/nonexistent\.yaml: cannot read it"):
        ingress_nginx.manifest("/nonexistent.yaml")


# -- readiness decisions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "answered"),
    [
        (
            'admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: host "x" and path "/" '
            "is already defined in ingress default/other",
            True,
        ),
        (
            'Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io": failed to call '
            'webhook: Post "https://ingress-nginx-controller-admission.ingress-nginx.svc:443/networking/v1/ingresses'
            '?timeout=10s": no endpoints available for service "ingress-nginx-controller-admission"',
            False,
        ),
        (
            'Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io": failed to call '
            "webhook: Post ...: tls: failed to verify certificate: x509: certificate signed by unknown authority",
            False,
        ),
    ],
    ids=["denied", "no-endpoints", "ca-not-patched"],
)
def test_a_webhook_denial_is_an_answer_a_failed_call_is_not(message: str, answered: bool) -> None:
    assert ingress_nginx.webhook_answer(message) is answered


def job(*conditions: tuple[str, str]) -> Any:
    return SimpleNamespace(
        status=SimpleNamespace(
            conditions=[SimpleNamespace(type=t, status=s, message="m", reason="r") for t, s in conditions]
        )
    )


def test_job_states() -> None:
    assert ingress_nginx.job_state(job()) == "running"
    assert ingress_nginx.job_state(job(("Complete", "True"))) == "complete"
    assert ingress_nginx.job_state(job(("SuccessCriteriaMet", "True"), ("Complete", "True"))) == "complete"
    assert ingress_nginx.job_state(job(("Failed", "True"))) == "failed: m"
    assert ingress_nginx.job_state(job(("Failed", "False"))) == "running"


class FakeCore:
    def __init__(self, pods: list[Any]) -> None:
        self.pods = pods
        self.selectors: list[str] = []

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        self.selectors.append(label_selector)
        return SimpleNamespace(items=self.pods)


def pulling_pod(reason: str) -> Any:
    waiting = SimpleNamespace(reason=reason, message="pull access denied")
    status = SimpleNamespace(
        state=SimpleNamespace(waiting=waiting), image="registry.k8s.io/ingress-nginx/kube-webhook-certgen"
    )
    return SimpleNamespace(
        metadata=SimpleNamespace(name="ingress-nginx-admission-create-x"),
        status=SimpleNamespace(container_statuses=[status], init_container_statuses=[]),
    )


def test_admission_jobs_are_done_when_complete_or_gone() -> None:
    """The Jobs delete themselves when done (ttlSecondsAfterFinished: 0): a missing Job is a finished one."""
    core = FakeCore([])
    check = ingress_nginx.admission_jobs_check(SimpleNamespace(core=core))  # type: ignore[arg-type]
    assert check({"ingress-nginx-admission-create": job(("Complete", "True"))}) is True
    assert check({}) is True
    assert check({"ingress-nginx-admission-patch": job()}) is None
    assert core.selectors == ["job-name in (ingress-nginx-admission-patch)"]
    with pytest.raises(WaitAborted, match="Job ingress-nginx/ingress-nginx-admission-create failed: m"):
        check({"ingress-nginx-admission-create": job(("Failed", "True"))})


def test_a_job_pod_that_cannot_pull_its_image_ends_the_wait() -> None:
    core = FakeCore([pulling_pod("ImagePullBackOff")])
    check = ingress_nginx.admission_jobs_check(SimpleNamespace(core=core))  # type: ignore[arg-type]
    with pytest.raises(WaitAborted, match="the image cannot be pulled"):
        check({"ingress-nginx-admission-create": job()})


# -- choosing the controller -----------------------------------------------------------------------


def test_the_route_goes_to_the_mapped_host_ports() -> None:
    nginx = ingress.route("nginx", http_port=41080, https_port=41443, affinity_mode="persistent", version="1.15")
    assert (nginx.ingress_class, nginx.base_url, nginx.https_url, nginx.implementation, nginx.affinity_mode) == (
        "nginx",
        "http://127.0.0.1:41080/",
        "https://127.0.0.1:41443/",
        "ingress-nginx-1.15-persistent",
        "persistent",
    )
    traefik = ingress.route("traefik", http_port=41080, affinity_mode="balanced", version="3.7")
    assert (traefik.implementation, traefik.affinity_mode, traefik.https_url) == ("traefik-3.7", "persistent", "")
    assert traefik.behaviour.after_serving_pod_deleted == "new-cookie"
    assert traefik.expectations() == "expectations of traefik 3.7 (read at v3.7.9); implementation configured"


def test_without_a_known_version_the_newest_row_is_used_and_the_header_says_so() -> None:
    traefik = ingress.route("traefik", http_port=41080, affinity_mode="persistent")
    assert traefik.implementation == "traefik-3.7"
    assert "(version unknown: the newest row)" in traefik.expectations()
    old = ingress.route("traefik", http_port=41080, affinity_mode="persistent", version="3.6")
    assert old.implementation == "traefik-3.6"
    assert old.behaviour.expires == "unsupported"


class FakeDeployments:
    def __init__(self, image: str | None) -> None:
        self.image = image

    def read_namespaced_deployment(self, name: str, namespace: str) -> Any:
        if self.image is None:
            raise ApiException(status=404, reason="Not Found")
        container = SimpleNamespace(image=self.image)
        return SimpleNamespace(
            spec=SimpleNamespace(template=SimpleNamespace(spec=SimpleNamespace(containers=[container])))
        )


@pytest.mark.parametrize(
    ("controller", "image", "expected"),
    [
        ("traefik", "traefik:v3.7.9", "3.7"),
        ("traefik", "docker.io/library/traefik:v3.6.24", "3.6"),
        (
            "nginx",
            "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:"
            "594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
            "1.15",
        ),
        ("traefik", "traefik:latest", ""),
        ("traefik", None, ""),
    ],
)
def test_the_running_version_comes_from_the_controller_image(controller: str, image: str | None, expected: str) -> None:
    kube: Any = SimpleNamespace(apps=FakeDeployments(image))
    assert ingress.running_version(kube, controller) == expected


class FakeApps:
    def __init__(self, existing: set[tuple[str, str]]) -> None:
        self.existing = existing

    def read_namespaced_deployment(self, name: str, namespace: str) -> Any:
        if (namespace, name) not in self.existing:
            raise ApiException(status=404, reason="Not Found")
        return SimpleNamespace()


def test_a_cluster_kept_with_one_controller_cannot_get_the_other() -> None:
    kube: Any = SimpleNamespace(apps=FakeApps({("ingress-nginx", "ingress-nginx-controller")}))
    ingress.check_no_other_controller(kube, "nginx", "sticky")
    with pytest.raises(SetupError, match=r"kind cluster sticky already runs ingress-nginx .*holds the node's port 80"):
        ingress.check_no_other_controller(kube, "traefik", "sticky")
