"""The GitHub Actions workflows: the kind matrix, the pins, the debug and upload steps, and options.

Static checks on ``.github/workflows/`` (actionlint, in ``.ci/actionlint``, checks the syntax and
the shell). The option check means a renamed or dropped ``--sticky-...`` option breaks this test
instead of the first CI run on GitHub.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_sticky.options import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
REUSABLE = WORKFLOWS / "sticky-e2e.yml"
README = WORKFLOWS / "README.md"

KIND_RELEASE_IMAGES = {
    # "Images pre-built for this release" in https://github.com/kubernetes-sigs/kind/releases/tag/v0.33.0
    "v0.33.0": {
        "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5",
        "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed",
        "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0",
        "kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d",
    },
}
"""Node images by kind release, as the release notes list them; an image is supported only with its release."""

PINNED_IMAGE = re.compile(r"^kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$")
STICKY_OPTION = re.compile(r"--sticky-([a-z0-9-]+)(?:=\"?([^\s\"`]*))?")
INGRESSES = {"nginx", "traefik"}
REQUIRED_INPUTS = {"python-version", "kind-node-image", "ingress", "test-path", "pytest-args", "package"}


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict), f"{path} is not a mapping"
    # YAML 1.1 reads the key `on` as the boolean true
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def expand(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """The combinations GitHub Actions runs: the product, less `exclude`, then `include` merged in."""
    keys = [k for k in matrix if k not in ("include", "exclude")]
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(matrix[k] for k in keys))]
    for excluded in matrix.get("exclude", []):
        combos = [c for c in combos if not all(c.get(k) == v for k, v in excluded.items())]
    originals = [dict(c) for c in combos]
    for included in matrix.get("include", []):
        matched = False
        for combo, original in zip(combos, originals, strict=True):
            if all(original[k] == v for k, v in included.items() if k in original):
                combo.update(included)
                matched = True
        if not matched:
            combos.append(dict(included))
            originals.append(dict(included))
    return combos


def supported_pythons() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(int(c[len(prefix) :]) for c in meta["project"]["classifiers"] if c.startswith(prefix))
    return [f"3.{minors[0]}", f"3.{minors[-1]}"]


def unknown_sticky_options(text: str) -> list[str]:
    """Every ``--sticky-...`` option (and literal choice value) in ``text`` that options.py does not define."""
    by_option = {s.option: s for s in SETTINGS}
    problems = []
    for match in STICKY_OPTION.finditer(text):
        option, value = f"--sticky-{match.group(1)}", match.group(2)
        setting = by_option.get(option)
        if setting is None:
            problems.append(f"{option} is not an option of pytest-sticky")
        elif value and setting.choices and not value.startswith(("$", "<")) and value not in setting.choices:
            problems.append(f"{option}={value}: not one of {', '.join(setting.choices)}")
    return problems


def e2e_cells() -> list[dict[str, Any]]:
    return expand(load(CI)["jobs"]["e2e"]["strategy"]["matrix"])


def kind_pytest_step(all_steps: list[dict[str, Any]]) -> int:
    """Index of the step that runs pytest on kind."""
    return next(
        i
        for i, s in enumerate(all_steps)
        if "python -m pytest" in s.get("run", "") and "--sticky-cluster=kind" in s["run"]
    )


def pinned_kind_version() -> str:
    version: str = load(REUSABLE)["env"]["KIND_VERSION"]
    return version


def test_the_e2e_matrix_runs_at_least_three_node_images_pinned_by_digest() -> None:
    images = {cell["image"] for cell in e2e_cells()}
    assert len(images) >= 3, images
    for image in images:
        assert PINNED_IMAGE.match(image), f"{image} is not pinned as kindest/node:vX.Y.Z@sha256:<digest>"


def test_the_node_images_come_from_the_pinned_kind_release() -> None:
    version = pinned_kind_version()
    assert version in KIND_RELEASE_IMAGES, f"kind {version}: add its release notes' images to KIND_RELEASE_IMAGES"
    listed = KIND_RELEASE_IMAGES[version]
    default_image = load(REUSABLE)["on"]["workflow_call"]["inputs"]["kind-node-image"]["default"]
    for image in {cell["image"] for cell in e2e_cells()} | {default_image}:
        assert image in listed, f"{image} is not among the images of kind {version}"

    # the newest minors of that release
    def minor(image: str) -> tuple[int, int]:
        major, minor_, _ = image.split(":v", 1)[1].split("@", 1)[0].split(".")
        return int(major), int(minor_)

    used = sorted({minor(cell["image"]) for cell in e2e_cells()}, reverse=True)
    assert used == sorted({minor(i) for i in listed}, reverse=True)[: len(used)]


def test_each_node_image_runs_behind_both_ingresses() -> None:
    cells = e2e_cells()
    assert {cell["ingress"] for cell in cells} == INGRESSES
    for image in {cell["image"] for cell in cells}:
        assert {cell["ingress"] for cell in cells if cell["image"] == image} == INGRESSES, image


def test_both_ends_of_the_supported_pythons_run() -> None:
    oldest_and_newest = supported_pythons()
    assert oldest_and_newest == ["3.11", "3.13"]
    assert sorted({cell["python"] for cell in e2e_cells()}) == oldest_and_newest
    unit = load(CI)["jobs"]["unit"]["strategy"]["matrix"]
    assert sorted({cell["python"] for cell in expand(unit)}) == oldest_and_newest


def test_the_e2e_job_passes_its_matrix_to_the_reusable_workflow() -> None:
    job = load(CI)["jobs"]["e2e"]
    assert job["uses"] == "./.github/workflows/sticky-e2e.yml"
    assert job["with"]["kind-node-image"] == "${{ matrix.image }}"
    assert job["with"]["ingress"] == "${{ matrix.ingress }}"
    assert job["with"]["python-version"] == "${{ matrix.python }}"
    inputs = load(REUSABLE)["on"]["workflow_call"]["inputs"]
    assert set(job["with"]) <= set(inputs)


def test_the_reusable_workflow_takes_the_documented_inputs() -> None:
    inputs = load(REUSABLE)["on"]["workflow_call"]["inputs"]
    assert set(inputs) >= REQUIRED_INPUTS
    assert inputs["ingress"]["default"] in INGRESSES


def test_the_reusable_workflow_runs_pytest_on_kind_with_a_report() -> None:
    all_steps = steps(load(REUSABLE))
    command = all_steps[kind_pytest_step(all_steps)]["run"]
    for part in (
        "--sticky-cluster=kind",
        "--sticky-strict",
        '--sticky-kind-image="$IMAGE"',
        '--sticky-ingress="$INGRESS"',
        "--sticky-report=",
        "--junitxml=",
    ):
        assert part in command
    assert "report-$CELL.md" in command


def test_kind_is_installed_at_a_pinned_version_with_its_checksum() -> None:
    workflow = load(REUSABLE)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", workflow["env"]["KIND_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", workflow["env"]["KIND_SHA256"])
    install = next(s["run"] for s in steps(workflow) if "kind-linux-amd64" in s.get("run", ""))
    assert "curl -fsSLo" in install
    assert "${KIND_VERSION}" in install
    assert "sha256sum -c" in install


def test_a_failure_runs_the_debug_step() -> None:
    all_steps = steps(load(REUSABLE))
    debug_index, debug = next((i, s) for i, s in enumerate(all_steps) if "kubectl get nodes,pods" in s.get("run", ""))
    assert debug["if"] in ("failure()", "always()") or "always()" in debug["if"]
    for command in (
        "kubectl get nodes,pods -A -o wide",
        "kubectl get events -A --sort-by=.lastTimestamp",
        "kubectl logs",
    ):
        assert command in debug["run"]
    for controller in ("ingress-nginx", "traefik"):
        assert controller in debug["run"]
    assert debug_index > kind_pytest_step(all_steps)


@pytest.mark.parametrize("path", [CI, REUSABLE], ids=lambda p: p.name)
def test_reports_and_junit_xml_are_uploaded_whatever_happened(path: Path) -> None:
    uploads = [s for s in steps(load(path)) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads, f"{path.name} uploads nothing"
    for upload in uploads:
        assert "always()" in upload["if"]
        assert "report-" in upload["with"]["path"]
        assert "junit-" in upload["with"]["path"]


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_sticky_option_in_a_workflow_exists(path: Path) -> None:
    commands = "\n".join(s.get("run", "") for s in steps(load(path)))
    assert unknown_sticky_options(commands) == []


def test_every_sticky_option_in_the_workflows_readme_exists() -> None:
    assert unknown_sticky_options(README.read_text()) == []


def test_the_option_check_can_fail() -> None:
    assert unknown_sticky_options("pytest --sticky-kind-img=x --sticky-ingress=haproxy --sticky-cluster=kind") == [
        "--sticky-kind-img is not an option of pytest-sticky",
        "--sticky-ingress=haproxy: not one of , nginx, traefik, none",
    ]


def test_the_readme_snippet_calls_the_reusable_workflow_with_its_inputs() -> None:
    text = README.read_text()
    snippets = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    callers = [job for s in snippets for job in (yaml.safe_load(s).get("jobs") or {}).values() if "uses" in job]
    assert callers, "no job in README.md calls the reusable workflow"
    inputs = load(REUSABLE)["on"]["workflow_call"]["inputs"]
    for job in callers:
        assert re.fullmatch(r"<org>/pytest-sticky/\.github/workflows/sticky-e2e\.yml@v\d+\.\d+\.\d+", job["uses"])
        assert set(job["with"]) <= set(inputs)
        assert job["with"]["kind-node-image"] in KIND_RELEASE_IMAGES[pinned_kind_version()]
    for name in inputs:
        assert f"`{name}`" in text, f"input {name} is not documented in README.md"


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_least_privilege_and_pinned_actions(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert set(job.get("permissions", {}).values()) <= {"read", "none"}
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), f"{step['uses']} is not pinned to a version tag or commit"


def test_ci_runs_one_build_per_branch_or_pull_request() -> None:
    concurrency = load(CI)["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert "pull_request.number" in concurrency["group"]
