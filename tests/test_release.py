"""Releases: the version in one place, the changelog, the release workflow, the reusable workflow's
default install, and the contributor tooling (pre-commit, Dependabot).

Static checks (actionlint, in ``.ci/actionlint``, checks the workflows' syntax and shell); the
release notes script is run for real on small source trees made here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

import pytest_sticky
from tests.test_workflows import load, steps

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
REUSABLE = WORKFLOWS / "sticky-e2e.yml"
NOTES_SCRIPT = ROOT / ".ci" / "release_notes.py"


def release_notes(tag: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(NOTES_SCRIPT), tag, "--root", str(root)], capture_output=True, text=True, check=False
    )


def source_tree(tmp_path: Path, version: str, changelog: str) -> Path:
    (tmp_path / "pytest_sticky").mkdir()
    (tmp_path / "pytest_sticky" / "__init__.py").write_text(f'"""doc"""\n\n__version__ = "{version}"\n')
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    return tmp_path


CHANGELOG = """# Changelog

## [Unreleased]

## [0.2.0] - 2027-01-15

### Added

- Gateway API exposure.

### Fixed

- A leak.

## [0.1.0] - 2026-12-01

### Added

- Everything.

[Unreleased]: https://example.test/compare/v0.2.0...HEAD
[0.2.0]: https://example.test/compare/v0.1.0...v0.2.0
"""


# --- the version in one place ---------------------------------------------------------------------


def test_the_version_lives_only_in_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "pytest_sticky/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", pytest_sticky.__version__)
    # nothing else pins a version of pytest-sticky that a release would have to bump: no input
    # default, no `with:` of a job or step in the workflows, nothing in install.sh or tox.ini
    pinned = re.compile(r"pytest-sticky(\[[a-z,]+\])?==")
    for path in WORKFLOWS.glob("*.yml"):
        workflow = load(path)
        inputs = (workflow["on"].get("workflow_call") or {}).get("inputs", {})
        values = [str(i.get("default", "")) for i in inputs.values()]
        values += [str(v) for job in workflow["jobs"].values() for v in job.get("with", {}).values()]
        values += [str(v) for step in steps(workflow) for v in step.get("with", {}).values()]
        assert not [v for v in values if pinned.search(v)], path
    for path in (ROOT / "install.sh", ROOT / "tox.ini"):
        assert not pinned.search(path.read_text()), path


def test_the_license_file_is_apache_2_as_the_metadata_says() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n                           Version 2.0, January 2004")
    assert "END OF TERMS AND CONDITIONS" in text


# --- the changelog and the release notes ----------------------------------------------------------


def test_the_changelog_keeps_an_unreleased_section_on_top() -> None:
    headings = re.findall(r"^## .*$", (ROOT / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert headings[0] == "## [Unreleased]"
    for heading in headings[1:]:
        assert re.fullmatch(r"## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", heading), heading


def test_release_notes_print_the_section_of_the_tagged_version(tmp_path: Path) -> None:
    result = release_notes("v0.2.0", source_tree(tmp_path, "0.2.0", CHANGELOG))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "### Added\n\n- Gateway API exposure.\n\n### Fixed\n\n- A leak.\n"


def test_the_last_section_ends_before_the_link_references(tmp_path: Path) -> None:
    result = release_notes("v0.1.0", source_tree(tmp_path, "0.1.0", CHANGELOG))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "### Added\n\n- Everything.\n"


@pytest.mark.parametrize(
    ("tag", "version", "changelog", "says"),
    [
        ("v0.2.1", "0.2.0", CHANGELOG, "does not match __version__ '0.2.0'"),
        ("0.2.0", "0.2.0", CHANGELOG, "expected v0.2.0"),
        ("v0.3.0", "0.3.0", CHANGELOG, "no section '## [0.3.0] - YYYY-MM-DD'"),
        ("v0.2.0", "0.2.0", CHANGELOG.replace("## [0.2.0] - 2027-01-15", "## [0.2.0]"), "needs a release date"),
        ("v0.2.0", "0.2.0", "# Changelog\n\n## [0.2.0] - 2027-01-15\n\n## [0.1.0] - 2026-12-01\n", "is empty"),
    ],
    ids=["tag-is-not-the-version", "tag-without-v", "no-section", "no-date", "empty-section"],
)
def test_release_notes_refuse_a_tag_the_tree_does_not_agree_with(
    tmp_path: Path, tag: str, version: str, changelog: str, says: str
) -> None:
    result = release_notes(tag, source_tree(tmp_path, version, changelog))
    assert result.returncode == 1
    assert result.stdout == ""
    assert says in result.stderr, result.stderr


def test_release_notes_read_this_repositorys_version() -> None:
    result = release_notes(f"v{pytest_sticky.__version__}", ROOT)
    # Before a release the version has no dated section yet: the refusal names the version.
    if result.returncode != 0:
        assert f"## [{pytest_sticky.__version__}] - YYYY-MM-DD" in result.stderr, result.stderr
    wrong = release_notes("v99.0.0", ROOT)
    assert wrong.returncode == 1
    assert f"__version__ '{pytest_sticky.__version__}'" in wrong.stderr


# --- the release workflow -------------------------------------------------------------------------


def release_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load(RELEASE)["jobs"]
    return jobs


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def test_the_release_runs_only_for_version_tags() -> None:
    assert load(RELEASE)["on"] == {"push": {"tags": ["v*"]}}


def test_the_release_checks_the_tag_then_builds_and_runs_twine_check() -> None:
    runs = [s.get("run", "") for s in release_jobs()["build"]["steps"]]
    joined = "\n".join(runs)
    assert joined.index(".ci/release_notes.py") < joined.index("python -m build")
    assert "twine check --strict dist/*" in joined


def test_the_wheel_is_tried_alone_in_a_fresh_venv_on_both_ends_of_the_pythons() -> None:
    job = release_jobs()["wheel"]
    assert needs(job) == {"build"}
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.14"]
    assert any(".ci/check-dist dist" in s.get("run", "") for s in job["steps"])
    assert any(s.get("uses", "").startswith("actions/download-artifact@") for s in job["steps"])


def test_publishing_uses_trusted_publishing_after_the_wheel_passed() -> None:
    job = release_jobs()["publish"]
    assert needs(job) >= {"build", "wheel"}
    assert job["permissions"] == {"id-token": "write"}
    assert job["environment"]["name"] == "pypi"
    publish = [s for s in job["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")]
    assert len(publish) == 1
    # no token: trusted publishing exchanges the job's OIDC token
    assert not set(publish[0].get("with", {})) & {"password", "user", "api-token"}
    assert "secrets." not in RELEASE.read_text()


def test_the_github_release_carries_the_changelog_section() -> None:
    job = release_jobs()["github-release"]
    assert needs(job) == {"publish"}
    assert job["permissions"] == {"contents": "write"}
    command = "\n".join(s.get("run", "") for s in job["steps"])
    assert '.ci/release_notes.py "$TAG" > "$RUNNER_TEMP/notes.md"' in command
    assert 'gh release create "$TAG" dist/*' in command
    assert '--notes-file "$RUNNER_TEMP/notes.md"' in command


def test_only_the_publishing_jobs_can_write() -> None:
    workflow = load(RELEASE)
    assert workflow["permissions"] == {"contents": "read"}
    writers = {name: job["permissions"] for name, job in workflow["jobs"].items() if "permissions" in job}
    assert writers == {"publish": {"id-token": "write"}, "github-release": {"contents": "write"}}


# --- the reusable workflow installs the pytest-sticky of its own ref ------------------------------


def test_the_reusable_workflow_installs_its_own_commit_by_default() -> None:
    workflow = load(REUSABLE)
    assert workflow["on"]["workflow_call"]["inputs"]["package"]["default"] == ""
    all_steps = steps(workflow)
    checkout = next(s for s in all_steps if s.get("with", {}).get("path") == ".pytest-sticky")
    assert checkout["if"] == "${{ inputs.package == '' }}"
    assert checkout["uses"].startswith("actions/checkout@")
    # job.*, not github.*: in a called workflow the github context is the caller's
    assert checkout["with"]["repository"] == "${{ job.workflow_repository }}"
    assert checkout["with"]["ref"] == "${{ job.workflow_sha }}"
    install = next(s for s in all_steps if "pip install" in s.get("run", "") and "PACKAGE" in s.get("env", {}))
    assert install["env"]["WORKFLOW_REF"] == "${{ job.workflow_ref }}"
    assert 'python -m pip install "./.pytest-sticky[kind]"' in install["run"]
    assert "@refs/tags/v" in install["run"], "a tag-called workflow must check the installed version"
    assert all_steps.index(checkout) < all_steps.index(install)


def test_this_repositorys_e2e_matrix_uses_the_default_install() -> None:
    assert "package" not in load(WORKFLOWS / "ci.yml")["jobs"]["e2e"]["with"]


def test_the_readme_shows_how_another_repository_pins_a_version() -> None:
    text = (ROOT / "README.md").read_text()
    assert re.search(r"pip install 'pytest-sticky\[local\]==\d+\.\d+\.\d+'", text)
    assert re.search(r"uses: <org>/pytest-sticky/\.github/workflows/sticky-e2e\.yml@v\d+\.\d+\.\d+", text)


# --- contributor tooling --------------------------------------------------------------------------


def test_pre_commit_runs_ruff_ruff_format_mypy_and_actionlint() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert set(hooks) >= {"ruff", "ruff-format", "mypy", "actionlint"}
    assert hooks["actionlint"]["entry"] == ".ci/actionlint"
    assert hooks["mypy"]["pass_filenames"] is False, "mypy must check the configured files, not just the staged ones"


def test_dependabot_updates_the_actions_and_the_python_dependencies() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    for update in ecosystems.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] in ("daily", "weekly", "monthly")
