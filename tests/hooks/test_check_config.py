"""gitops-ml-check-config: the config and params files parse and match their schema."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import cli, git, make_project, write
from tests.hooks.conftest import run_hook


def check(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gitops-ml-check-config", *files], cwd=repo, capture_output=True, text=True
    )


def test_valid_project_passes_silently(project: Path) -> None:
    proc = check(project)
    assert proc.returncode == 0
    assert proc.stdout == proc.stderr == ""


def test_config_problems_with_line_numbers(project: Path) -> None:
    write(
        project / "gitops-ml.yaml",
        "params: params.json\nmetrics: metrics.json\nprimray: accuracy\n"
        "tolerances:\n  accuracy: 0.1\n",
    )
    proc = check(project, "gitops-ml.yaml")
    assert proc.returncode == 1
    assert "gitops-ml.yaml:3: unknown key 'primray'" in proc.stdout
    assert "gitops-ml.yaml:5: 'tolerances.accuracy': must be abs:X or rel:Y" in proc.stdout
    write(project / "gitops-ml.yaml", "params: [params.json\n")
    proc = check(project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("gitops-ml.yaml:2: not valid YAML")


def test_params_files_are_checked(project: Path) -> None:
    write(project / "params.json", '{"lr": 0.1,\n "seed": }\n')
    proc = check(project, "params.json")
    assert proc.returncode == 1
    assert "params.json:2: not valid JSON" in proc.stdout
    write(project / "gitops-ml.yaml", "params: [params.yaml, missing.json]\n")
    write(project / "params.yaml", "- just\n- a list\n")
    proc = check(project)
    assert proc.returncode == 1
    assert "params.yaml: must hold a mapping of names to values" in proc.stdout
    assert "missing.json: not found (named under 'params' in gitops-ml.yaml)" in proc.stdout


def test_unrelated_files_are_not_parsed(project: Path) -> None:
    write(project / "gitops-ml.yaml", "nonsense: [\n")
    assert check(project, "train.py", "data/other.json").returncode == 0
    assert check(project, "gitops-ml.yaml").returncode == 1


def test_no_config_is_fine(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    (repo / "gitops-ml.yaml").unlink()
    assert check(repo).returncode == 0


def test_plain_git_hook_blocks_the_commit(project: Path) -> None:
    assert cli(project, "init", "--hooks").returncode == 0
    write(project / "gitops-ml.yaml", "params: params.json\nverify_outputs: maybe\n")
    git(project, "add", "gitops-ml.yaml")
    proc = subprocess.run(
        ["git", "commit", "-m", "bad"], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "gitops-ml.yaml:2: 'verify_outputs': must be true or false" in proc.stdout + proc.stderr
    write(project / "gitops-ml.yaml", "params: params.json\nverify_outputs: true\n")
    git(project, "add", "gitops-ml.yaml")
    git(project, "commit", "-q", "-m", "good")


def test_10k_names_accepted(big_repo: Path) -> None:
    """Every name of a 10,000-file repository on one command line, and the plain git
    hook over the staged files: both pass (their speed is in bench/cases_hooks.py)."""
    names = git(big_repo, "ls-files").split()
    assert len(names) > 10_000
    proc = run_hook(["gitops-ml-check-config", *names], big_repo)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    proc = run_hook(["gitops-ml", "hook", "pre-commit"], big_repo)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr
