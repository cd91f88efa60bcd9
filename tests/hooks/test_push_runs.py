"""gitops-ml-push-runs (pre-push): runs and notes go along with a push, never blocking it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids, write
from tests.git_daemon import git_daemon, refused_url


def _run(repo: Path) -> None:
    assert cli(repo, "run", "--", "python", "train.py").returncode == 0


def test_git_push_carries_runs_and_notes(tmp_path: Path, bare_remote: Path) -> None:
    repo = make_project(tmp_path / "p")
    git(repo, "remote", "add", "origin", str(bare_remote))
    assert cli(repo, "init", "--hooks").returncode == 0
    _run(repo)
    proc = subprocess.run(
        ["git", "push", "origin", "HEAD:main"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "gitops-ml-push-runs: origin" in proc.stderr and "1 pushed" in proc.stderr
    assert run_ids(bare_remote) == run_ids(repo)
    assert git(bare_remote, "rev-parse", "refs/gitops-ml/environments") == git(
        repo, "rev-parse", "refs/gitops-ml/environments"
    )


def test_remote_down_during_pre_push_warns_and_push_goes_on(tmp_path: Path) -> None:
    """The daemon dies after git connected (a chained pre-push.local kills it): our part
    of the hook cannot reach it, warns, and the branch is still pushed."""
    served = tmp_path / "served"
    served.mkdir()
    git(served, "init", "-q", "--bare", "proj.git")
    repo = make_project(tmp_path / "p")
    with git_daemon(served) as (url, daemon):
        git(repo, "remote", "add", "origin", f"{url}/proj.git")
        git(repo, "push", "-q", "origin", "HEAD:main")
        assert cli(repo, "init", "--hooks").returncode == 0
        local = repo / ".git" / "hooks" / "pre-push.local"
        write(local, f"#!/bin/sh\ncat > pushed-refs.txt\nkill {daemon.pid}\nsleep 0.3\nexit 0\n")
        local.chmod(0o755)
        _run(repo)
        write(repo / "train.py", "print('v2')\n")
        git(repo, "commit", "-q", "-am", "v2")
        proc = subprocess.run(
            ["git", "push", "origin", "HEAD:main"], cwd=repo, capture_output=True, text=True
        )
    assert proc.returncode == 0, proc.stderr
    assert "gitops-ml-push-runs: warning: cannot reach remote origin" in proc.stderr
    assert "run 'gitops-ml sync' later" in proc.stderr
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git(served / "proj.git", "rev-parse", "main").strip() == head
    assert run_ids(served / "proj.git") == []
    # the chained hook got git's ref lines on stdin
    assert f"HEAD {head} refs/heads/main " in (repo / "pushed-refs.txt").read_text()


def test_failing_local_pre_push_still_blocks(tmp_path: Path, bare_remote: Path) -> None:
    repo = make_project(tmp_path / "p")
    git(repo, "remote", "add", "origin", str(bare_remote))
    local = repo / ".git" / "hooks" / "pre-push"
    write(local, "#!/bin/sh\necho 'policy says no' >&2\nexit 7\n")
    local.chmod(0o755)
    assert cli(repo, "init", "--hooks").returncode == 0
    proc = subprocess.run(
        ["git", "push", "origin", "HEAD:main"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "policy says no" in proc.stderr
    assert git(bare_remote, "for-each-ref") == ""


def test_direct_call_with_unreachable_url_exits_0(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    _run(repo)
    url = refused_url()
    proc = subprocess.run(
        ["gitops-ml-push-runs", "origin", url], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stderr.startswith("gitops-ml-push-runs: warning: cannot reach remote ")
    # the pre-commit framework passes the remote through the environment instead
    env = {**os.environ, "PRE_COMMIT_REMOTE_NAME": url, "PRE_COMMIT_REMOTE_URL": url}
    proc = subprocess.run(
        ["gitops-ml-push-runs"], cwd=repo, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0
    assert "warning: cannot reach remote" in proc.stderr


def test_repo_without_runs_does_no_network(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    proc = subprocess.run(
        ["gitops-ml-push-runs", "origin", refused_url()], cwd=repo, capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_git_push_carries_runs_archived_while_recording(tmp_path: Path, bare_remote: Path) -> None:
    """Recording archived every run ref (past the threshold): the hook still has runs to
    push, and the remote gets the archive that holds them."""
    repo = make_project(tmp_path / "p")
    git(repo, "remote", "add", "origin", str(bare_remote))
    assert cli(repo, "init", "--hooks").returncode == 0
    for _ in range(2):
        proc = cli(repo, "run", "--", "true", env={"GITOPS_ML_COMPACT_ABOVE": "1"})
        assert proc.returncode == 0, proc.stderr
    assert git(repo, "for-each-ref", "refs/runs/") == ""  # all in the archive
    proc = subprocess.run(
        ["git", "push", "origin", "HEAD:main"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "gitops-ml-push-runs: origin" in proc.stderr
    assert git(bare_remote, "rev-parse", "refs/gitops-ml/archive") == git(
        repo, "rev-parse", "refs/gitops-ml/archive"
    )
