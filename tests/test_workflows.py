"""The GitHub Actions workflows: the kind matrix, the pins, the debug and upload steps, and options.

Static checks on ``.github/workflows/`` (actionlint, in ``.ci/actionlint``, checks the syntax and
the shell). The option check means a renamed or dropped ``--sticky-...`` option breaks this test
instead of the first CI run on GitHub.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_sticky.commands import CommandError, run_command
from pytest_sticky.options import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
REUSABLE = WORKFLOWS / "sticky-e2e.yml"
README = WORKFLOWS / "README.md"

# "Images pre-built for this release" in https://github.com/kubernetes-sigs/kind/releases/tag/v0.33.0
# (the same digests are pinned, beside kind v0.33.0, by several unrelated public repositories)
V1_37 = "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
V1_36 = "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed"
V1_35 = "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0"
V1_34 = "kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d"
KIND_RELEASE_IMAGES = {"v0.33.0": {V1_37, V1_36, V1_35, V1_34}}
"""Node images by kind release, as the release notes list them; an image is supported only with its release."""

PINNED_IMAGE = re.compile(r"^kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$")
STICKY_OPTION = re.compile(r"--sticky-([a-z0-9-]+)(?:=\"?([^\s\"`]*))?")
INGRESSES = {"nginx", "traefik"}
WRITE_PERMISSIONS = {
    # trusted publishing: the OIDC token PyPI exchanges for an upload token
    ("release.yml", "publish"): {"id-token": "write"},
    # gh release create
    ("release.yml", "github-release"): {"contents": "write"},
}
"""The only jobs that may write, and what."""
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
    # no base keys (an include-only matrix): no base combination; each include is a job of its own
    combos = (
        [dict(zip(keys, values, strict=True)) for values in itertools.product(*(matrix[k] for k in keys))]
        if keys
        else []
    )
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


SUPPORTED_KUBERNETES = {
    # kubernetes/ingress-nginx README.md:52 at controller-v1.15.1 (its last release)
    "nginx": {"1.31", "1.32", "1.33", "1.34", "1.35"},
    # Traefik v3.7: the newest node images of kind v0.33.0
    "traefik": {"1.37", "1.36"},
}


def minor(image: str) -> str:
    return ".".join(image.split(":v", 1)[1].split("@", 1)[0].split(".")[:2])


def test_the_e2e_cells_are_the_support_matrix() -> None:
    cells = {(cell["ingress"], cell["k8s"], cell["python"], cell["image"]) for cell in e2e_cells()}
    assert cells == {
        ("nginx", "1.35", "3.14", V1_35),
        ("nginx", "1.34", "3.14", V1_34),
        ("nginx", "1.34", "3.11", V1_34),
        ("traefik", "1.37", "3.14", V1_37),
        ("traefik", "1.36", "3.14", V1_36),
        ("traefik", "1.36", "3.11", V1_36),
        ("gateway", "1.37", "3.14", V1_37),
    }  # fmt: skip


def test_each_ingress_runs_only_on_kubernetes_versions_its_maintainers_support() -> None:
    cells = e2e_cells()
    assert {cell["ingress"] for cell in cells} == INGRESSES | {"gateway"}
    for cell in (c for c in cells if c["ingress"] != "gateway"):
        assert minor(cell["image"]) == cell["k8s"], cell
        assert cell["k8s"] in SUPPORTED_KUBERNETES[cell["ingress"]], cell
    assert len({cell["k8s"] for cell in cells}) >= 3, "at least three Kubernetes versions overall"


def test_the_reusable_workflow_pins_kind_v0_33_0_and_defaults_to_a_version_both_ingresses_support() -> None:
    workflow = load(REUSABLE)
    assert workflow["env"]["KIND_VERSION"] == "v0.33.0"
    assert workflow["env"]["KIND_SHA256"] == "aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d"
    assert workflow["on"]["workflow_call"]["inputs"]["kind-node-image"]["default"] == V1_35


def test_the_plugin_downloads_the_kind_the_workflow_installs() -> None:
    """Both pins agree (each is also checked against literals: here and in test_kind_binary.py)."""
    from pytest_sticky.kind import binary

    workflow = load(REUSABLE)
    assert (binary.KIND_VERSION, binary.KIND_SHA256["linux-amd64"]) == (
        workflow["env"]["KIND_VERSION"],
        workflow["env"]["KIND_SHA256"],
    )


def _check_inputs(tmp_path: Path, image: str, ingress: str) -> CommandError | None:
    """Run the reusable workflow's input check (its bash) as GitHub would; the error, or None."""
    step = next(s for s in steps(load(REUSABLE)) if s.get("id") == "cell")
    env = {
        "PATH": os.environ["PATH"],
        "IMAGE": image,
        "INGRESS": ingress,
        "PYTHON_VERSION": "3.13",
        "ARTIFACT_NAME": "",
        "KIND_VERSION": "v0.33.0",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    try:
        run_command(["bash", "-e", "-o", "pipefail", "-c", step["run"]], env=env, timeout=30)
    except CommandError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    ("image", "ingress", "refused"),
    [
        (V1_36, "nginx", True),
        (V1_37, "nginx", True),
        (
            "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0",
            "nginx",
            False,
        ),
        (
            "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5",
            "traefik",
            False,
        ),
    ],
    ids=["nginx-1.36", "nginx-1.37", "nginx-1.35", "traefik-1.37"],
)
def test_the_reusable_workflow_refuses_ingress_nginx_outside_its_supported_kubernetes(
    tmp_path: Path, image: str, ingress: str, refused: bool
) -> None:
    error = _check_inputs(tmp_path, image, ingress)
    if refused:
        assert error is not None
        assert "::error::ingress-nginx controller-v1.15.1 supports Kubernetes 1.31-1.35" in error.stdout
    else:
        assert error is None, error
        assert f"-{ingress}-py3.13" in (tmp_path / "output").read_text()


def test_one_cell_runs_the_gateway_on_the_newest_image_with_the_newest_python() -> None:
    gateway = [cell for cell in e2e_cells() if cell["ingress"] == "gateway"]
    assert len(gateway) == 1
    assert gateway[0]["image"].startswith("kindest/node:v1.37.0@sha256:"), gateway
    assert gateway[0]["python"] == "3.14"


def test_both_ends_of_the_supported_pythons_run() -> None:
    oldest_and_newest = supported_pythons()
    assert oldest_and_newest == ["3.11", "3.14"]
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
        "--sticky-ingress=haproxy: not one of , nginx, traefik, gateway, none",
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
    for name, job in workflow["jobs"].items():
        writes = {k: v for k, v in job.get("permissions", {}).items() if v not in ("read", "none")}
        assert writes == WRITE_PERMISSIONS.get((path.name, name), {}), f"{path.name}: job {name} may write {writes}"
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), f"{step['uses']} is not pinned to a version tag or commit"


def test_ci_runs_one_build_per_branch_or_pull_request() -> None:
    concurrency = load(CI)["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert "pull_request.number" in concurrency["group"]


def test_the_readmes_support_matrix_is_what_ci_runs() -> None:
    text = (ROOT / "README.md").read_text()
    rows = {
        cells[0]: cells
        for line in text.splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.strip("|").split("|")])
    }
    names = {"nginx": "ingress-nginx", "traefik": "Traefik (Ingress NGINX provider)"}
    for ingress, name in names.items():
        runs = sorted({(c["k8s"], c["image"]) for c in e2e_cells() if c["ingress"] == ingress}, reverse=True)
        expected = ", ".join(f"{k8s} ({image.split(':', 1)[1].split('@')[0]})" for k8s, image in runs)
        assert rows[name][2] == expected, f"README support matrix row {name!r}"
    assert rows["ingress-nginx"][1] == "controller-v1.15.1 (last release; retired)"
    assert rows["Traefik (Ingress NGINX provider)"][1] == "v3.7.9"
