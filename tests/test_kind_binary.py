"""The pinned kind: its version and checksums, and the download, served from a loopback HTTP server only.

The pinned values are written here as literals from kind's v0.33.0 release (the
``kind-<os>-<arch>.sha256sum`` assets of https://github.com/kubernetes-sigs/kind/releases/tag/v0.33.0),
not read from the code, so a changed pin fails here and in ``tests/test_workflows.py``.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_sticky.errors import MissingTool
from pytest_sticky.kind import binary
from tests.fakes.kind_harness import FakeKind, closed_port

FAKE_KIND = '#!/bin/sh\necho "kind v0.33.0 go1.25.9 linux/amd64"\n'


def test_the_pin_is_kind_v0_33_0_with_the_release_checksums() -> None:
    assert binary.KIND_VERSION == "v0.33.0"
    assert binary.KIND_SHA256 == {
        "linux-amd64": "aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d",
        "linux-arm64": "20022bee6cfcd5086cb7234d218e3454e6090022f2a8f55d1fa7fcf42c3867a2",
        "darwin-amd64": "5a99f26f57246dc9319dd294803313197a0f34d33c525b3ea8b655db5916ece0",
        "darwin-arm64": "0c8c7dbe5e23594a198b786c4bc13dacc101fa6196b0cb0b23a1ca44e61f4b4f",
    }
    assert binary.DOWNLOAD_URL.format(version="v0.33.0", platform="linux-amd64") == (
        "https://github.com/kubernetes-sigs/kind/releases/download/v0.33.0/kind-linux-amd64"
    )


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [("linux", "x86_64", "linux-amd64"), ("linux", "aarch64", "linux-arm64"), ("darwin", "arm64", "darwin-arm64")],
)
def test_the_release_asset_for_this_machine(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert binary.this_platform() == expected


class Served:
    """A loopback HTTP server that serves ``kind-linux-amd64`` (a fake kind) and counts the requests."""

    def __init__(self, directory: Path) -> None:
        self.requests: list[str] = []
        served = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                served.requests.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kind-linux-amd64"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Served, FakeKind]]:
    fake = FakeKind.install(tmp_path / "fake", monkeypatch, tools=("docker",))  # no kind on PATH
    www = tmp_path / "www"
    www.mkdir()
    (www / "kind-linux-amd64").write_text(FAKE_KIND)
    server = Served(www)
    monkeypatch.setenv("STICKY_KIND_DOWNLOAD_URL", server.url)
    monkeypatch.setattr(binary, "this_platform", lambda: "linux-amd64")
    try:
        yield server, fake
    finally:
        server.close()


def _cached(fake: FakeKind) -> list[Path]:
    return sorted((fake.cache / "pytest-sticky" / "kind").glob("kind-*"))


def test_a_download_with_the_pinned_checksum_is_cached_and_used(
    served: tuple[Served, FakeKind], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, fake = served
    monkeypatch.setitem(binary.KIND_SHA256, "linux-amd64", hashlib.sha256(FAKE_KIND.encode()).hexdigest())
    found = binary.find_kind()
    assert found.path == str(fake.cache / "pytest-sticky" / "kind" / "kind-v0.33.0-linux-amd64")
    assert found.origin.startswith("kind v0.33.0 pinned by pytest-sticky, sha256-checked")
    assert Path(found.path).read_text() == FAKE_KIND
    assert Path(found.path).stat().st_mode & 0o111
    assert server.requests == ["/kind-linux-amd64"]
    assert binary.find_kind() == found
    assert server.requests == ["/kind-linux-amd64"], "the second run uses the cache"


def test_a_cached_binary_that_no_longer_matches_is_downloaded_again(
    served: tuple[Served, FakeKind], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, fake = served
    monkeypatch.setitem(binary.KIND_SHA256, "linux-amd64", hashlib.sha256(FAKE_KIND.encode()).hexdigest())
    directory = fake.cache / "pytest-sticky" / "kind"
    directory.mkdir(parents=True)
    (directory / "kind-v0.33.0-linux-amd64").write_text("#!/bin/sh\necho tampered\n")
    found = binary.find_kind()
    assert Path(found.path).read_text() == FAKE_KIND
    assert server.requests == ["/kind-linux-amd64"]


def test_a_download_that_does_not_match_the_pin_is_refused_and_not_kept(served: tuple[Served, FakeKind]) -> None:
    server, fake = served
    with pytest.raises(MissingTool) as info:
        binary.find_kind()
    got = hashlib.sha256(FAKE_KIND.encode()).hexdigest()
    assert str(info.value).startswith(
        f"refusing the kind binary from {server.url}: its sha256 is {got}, but kind v0.33.0 kind-linux-amd64 has "
        "aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d. Nothing was installed."
    )
    assert _cached(fake) == []
    assert not list((fake.cache / "pytest-sticky" / "kind").glob(".kind-download-*"))


def test_a_failed_download_says_how_to_get_kind(
    served: tuple[Served, FakeKind], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fake = served
    url = f"http://127.0.0.1:{closed_port()}/kind-linux-amd64"
    monkeypatch.setenv("STICKY_KIND_DOWNLOAD_URL", url)
    with pytest.raises(MissingTool, match=f"could not be downloaded from {url}") as info:
        binary.find_kind()
    assert "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" in str(info.value).lower()
    assert _cached(fake) == []


def test_a_machine_without_a_pinned_build_is_told_to_install_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeKind.install(tmp_path, monkeypatch, tools=("docker",))
    monkeypatch.setattr(binary, "this_platform", lambda: "linux-riscv64")
    with pytest.raises(MissingTool, match="this machine is linux-riscv64"):
        binary.find_kind()
