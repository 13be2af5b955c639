"""The sdist and the wheel as PyPI gets them: contents, license metadata, entry point, twine check.

Built once per run with ``python -m build --no-isolation`` (hatchling, build and twine are in the
``test`` extra), which takes a few seconds. The wheel installed alone in a fresh venv, running the
consumer tests, is ``.ci/check-dist`` (in .ci/run, the unit job and the release workflow): that
needs pip to fetch dependencies, too slow for a unit test.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import pytest_sticky

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout}\n{result.stderr}"
    return out


def only(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {dist}, found {[p.name for p in found]}"
    return found[0]


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return only(dist, "pytest_sticky-*-py3-none-any.whl")


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    return only(dist, "pytest_sticky-*.tar.gz")


def wheel_metadata(wheel: Path) -> tuple[list[str], str, str, str]:
    """The wheel's file names, METADATA, entry_points.txt and licenses/LICENSE."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n.split("/", 1)[0] for n in names if n.endswith(".dist-info/METADATA"))
        return (
            names,
            archive.read(f"{info}/METADATA").decode(),
            archive.read(f"{info}/entry_points.txt").decode(),
            archive.read(f"{info}/licenses/LICENSE").decode(),
        )


def test_the_wheel_ships_the_plugin_and_its_fixtures(wheel: Path) -> None:
    names, _, _, _ = wheel_metadata(wheel)
    for expected in (
        "pytest_sticky/__init__.py",
        "pytest_sticky/plugin.py",
        "pytest_sticky/local/haproxy.py",
        "pytest_sticky/kube/manifests.py",
        "pytest_sticky/kind/cluster.py",
        "pytest_sticky/openshift/routes.py",
        # the files a plugin installed from PyPI must find without the source tree
        "pytest_sticky/fixtures/app/hello.py",
        "pytest_sticky/fixtures/kubernetes/app.yaml",
        "pytest_sticky/fixtures/kubernetes/redis.yaml",
        "pytest_sticky/fixtures/kubernetes/ingress.yaml",
        "pytest_sticky/fixtures/kubernetes/client-pod.yaml",
        "pytest_sticky/fixtures/ingress/traefik.yaml",
        "pytest_sticky/fixtures/openshift/route.yaml",
    ):
        assert expected in names, f"{expected} is not in {wheel.name}"
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"pytest_sticky", f"pytest_sticky-{pytest_sticky.__version__}.dist-info"}, tops


def test_the_wheel_names_its_license_the_way_pypi_reads_it(wheel: Path) -> None:
    _, metadata, _, license_text = wheel_metadata(wheel)
    fields = Parser().parsestr(metadata)
    assert fields["Metadata-Version"] in ("2.4", "2.5"), "License-Expression needs core metadata 2.4"
    assert fields["License-Expression"] == "Apache-2.0"
    assert fields.get_all("License-File") == ["LICENSE"]
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert license_text == (ROOT / "LICENSE").read_text()


def test_the_wheel_metadata_has_the_version_pythons_and_extras(wheel: Path) -> None:
    _, metadata, _, _ = wheel_metadata(wheel)
    fields = Parser().parsestr(metadata)
    assert fields["Name"] == "pytest-sticky"
    assert fields["Version"] == pytest_sticky.__version__
    assert wheel.name == f"pytest_sticky-{pytest_sticky.__version__}-py3-none-any.whl"
    assert fields["Requires-Python"] == ">=3.11"
    pythons = sorted(
        c for c in fields.get_all("Classifier") or [] if c.startswith("Programming Language :: Python :: 3.")
    )
    assert pythons == [f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13, 14)]
    assert set(fields.get_all("Provides-Extra") or []) >= {"local", "kubernetes", "kind", "openshift", "test"}
    assert fields["Description-Content-Type"] == "text/markdown"


def test_the_wheel_registers_the_plugin_with_pytest(wheel: Path) -> None:
    _, _, entry_points, _ = wheel_metadata(wheel)
    assert "[pytest11]\nsticky = pytest_sticky.plugin\n" in entry_points


def test_the_sdist_carries_license_changelog_tests_and_fixtures(sdist: Path) -> None:
    prefix = f"pytest_sticky-{pytest_sticky.__version__}/"
    with tarfile.open(sdist) as archive:
        names = {m.name.removeprefix(prefix) for m in archive.getmembers()}
    for expected in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "PKG-INFO",
        "fixtures/app/hello.py",
        "pytest_sticky/plugin.py",
        "tests/consumer/test_sticky_consumer.py",
        "e2e/test_failover.py",
    ):
        assert expected in names, f"{expected} is not in {sdist.name}"


def test_twine_check_passes_on_both(sdist: Path, wheel: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout
