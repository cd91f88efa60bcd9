"""gitops-ml-fetch-runs (post-merge, post-checkout): runs and notes arrive with a pull."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids, write
from tests.git_daemon import refused_url


def _published(tmp_path: Path, remote: Path) -> tuple[Path, Path]:
    a = make_project(tmp_path / "a")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "-u", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", str(remote), "b")
    b = tmp_path / "b"
    assert cli(b, "init", "--hooks").returncode == 0
    return a, b


def test_pull_fetches_runs_and_notes(tmp_path: Path, bare_remote: Path) -> None:
    a, b = _published(tmp_path, bare_remote)
    assert cli(a, "run", "--", "python", "train.py").returncode == 0
    write(a / "train.py", (a / "train.py").read_text() + "# v2\n")
    git(a, "commit", "-q", "-am", "v2")
    git(a, "push", "-q", "origin", "HEAD:main")
    assert cli(a, "sync").returncode == 0
    proc = subprocess.run(["git", "pull", "-q", "--ff-only"], cwd=b, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "gitops-ml-fetch-runs: origin: 1 runs fetched" in proc.stderr
    assert run_ids(b) == run_ids(a)
    assert git(b, "notes", "--ref=gitops-ml", "list") == git(a, "notes", "--ref=gitops-ml", "list")


def test_remote_down_during_merge_warns_and_merge_goes_on(
    tmp_path: Path, bare_remote: Path
) -> None:
    _, b = _published(tmp_path, bare_remote)
    git(b, "checkout", "-q", "-b", "topic")
    write(b / "topic.py", "t = 1\n")
    git(b, "add", "topic.py")
    git(b, "commit", "-q", "-m", "topic")
    git(b, "checkout", "-q", "main")
    git(b, "remote", "set-url", "origin", refused_url())
    proc = subprocess.run(
        ["git", "merge", "--no-ff", "-m", "merge topic", "topic"],
        cwd=b,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert "gitops-ml-fetch-runs: warning: cannot reach remote origin" in proc.stderr
    assert git(b, "log", "-1", "--format=%s").strip() == "merge topic"


def test_checkout_of_files_and_same_commit_skip_the_network(
    tmp_path: Path, bare_remote: Path
) -> None:
    _, b = _published(tmp_path, bare_remote)
    git(b, "remote", "set-url", "origin", refused_url())
    for args in (["checkout", "--", "train.py"], ["checkout", "-q", "-b", "same-commit"]):
        proc = subprocess.run(["git", *args], cwd=b, capture_output=True, text=True)
        assert proc.returncode == 0
        assert "gitops-ml" not in proc.stderr
    git(b, "commit", "-q", "--allow-empty", "-m", "moved")
    proc = subprocess.run(["git", "checkout", "-q", "main"], cwd=b, capture_output=True, text=True)
    assert proc.returncode == 0
    assert "gitops-ml-fetch-runs: warning: cannot reach remote origin" in proc.stderr


def test_no_remote_is_silent(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    proc = subprocess.run(["gitops-ml-fetch-runs"], cwd=repo, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (0, "")
