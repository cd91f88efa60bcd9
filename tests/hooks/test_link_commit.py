"""gitops-ml-link-commit (post-commit): a commit of a run's code is linked to the run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import cli, git, run_ids, write


def _notes(repo: Path, commit: str) -> list[dict[str, str]]:
    text = git(repo, "notes", "--ref=gitops-ml", "show", commit, check=False)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_commit_of_the_run_snapshot_is_linked(project: Path) -> None:
    assert cli(project, "init", "--hooks").returncode == 0
    write(project / "train.py", (project / "train.py").read_text() + "# tuned\n")
    write(project / "features.py", "f = 1\n")  # untracked: part of the snapshot too
    assert cli(project, "run", "--", "python", "train.py").returncode == 0
    run_id = run_ids(project)[0]
    git(project, "add", "-A")
    proc = subprocess.run(
        ["git", "commit", "-m", "tuned"], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert f"gitops-ml: this commit is the code of run {run_id}" in proc.stderr
    head = git(project, "rev-parse", "HEAD").strip()
    run_commit = git(project, "rev-parse", f"refs/runs/{run_id}").strip()
    assert {"type": "code-of", "run": run_id} in _notes(project, head)
    assert {"type": "link", "commit": head, "run": run_id} in _notes(project, run_commit)
    log = git(project, "log", "-1", "--notes=gitops-ml")
    assert '"type":"code-of"' in log and run_id in log
    # running the hook again adds nothing
    before = git(project, "rev-parse", "refs/notes/gitops-ml")
    assert subprocess.run(["gitops-ml-link-commit"], cwd=project).returncode == 0
    assert git(project, "rev-parse", "refs/notes/gitops-ml") == before


def test_commit_of_other_code_is_not_linked(project: Path) -> None:
    write(project / "train.py", (project / "train.py").read_text() + "# tuned\n")
    assert cli(project, "run", "--", "python", "train.py").returncode == 0
    write(project / "train.py", (project / "train.py").read_text() + "# changed again\n")
    git(project, "commit", "-q", "-am", "not the run's code")
    proc = subprocess.run(["gitops-ml-link-commit"], cwd=project, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _notes(project, "HEAD") == []


def test_no_runs_no_notes_is_quiet(project: Path) -> None:
    proc = subprocess.run(["gitops-ml-link-commit"], cwd=project, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert git(project, "rev-parse", "-q", "--verify", "refs/notes/gitops-ml", check=False) == ""
