"""Every hook through the real pre-commit framework, installed from a git copy of this tree.

pre-commit needs a committed repository: the session fixture copies the current work tree
of this project (tracked and untracked-not-ignored files) into a temporary repository and
commits it. One pre-commit home is shared by the whole session (and by the xdist workers,
under a lock), so the hook environment is built once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import cli, git, make_project, run_ids, write
from tests.git_daemon import refused_url

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "params: params.json\nmetrics: metrics.json\ndata: data/\nprimary: accuracy\n"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _shared_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """``(copy of this project, its commit, shared PRE_COMMIT_HOME)``."""
    shared = _shared_dir(tmp_path_factory)
    dest = shared / "gitops-ml-src"
    env = {**os.environ, **_GIT_ENV}
    with open(shared / "gitops-ml-src.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / ".git").exists():
            listing = subprocess.run(
                ["git", "ls-files", "-co", "--exclude-standard", "-z"],
                cwd=ROOT,
                capture_output=True,
                check=True,
                env=env,
            ).stdout.decode()
            for rel in filter(None, listing.split("\0")):
                src = ROOT / rel
                if src.is_file():
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest / rel)
            for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
                subprocess.run(["git", *args], cwd=dest, check=True, env=env, capture_output=True)
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=dest,
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.strip()
    yield dest, rev, shared / "pre-commit-home"


def _pc(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pre-commit", *args], cwd=repo, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def user_repo(
    tmp_path: Path, hook_repo: tuple[Path, str, Path], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A user's project configured by ``gitops-ml init --pre-commit``, hooks installed."""
    src, rev, home = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    repo = make_project(tmp_path / "user", config=CONFIG)
    proc = cli(repo, "init", "--pre-commit", "--pre-commit-repo", str(src), "--pre-commit-rev", rev)
    assert proc.returncode == 0, proc.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pre-commit config")
    proc = _pc(repo, "install")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for hook in ("pre-commit", "post-commit", "pre-push", "post-merge", "post-checkout"):
        assert "pre-commit" in (repo / ".git" / "hooks" / hook).read_text()
    return repo


def _commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message], cwd=repo, capture_output=True, text=True, timeout=600
    )


def test_check_hooks_block_bad_commits(user_repo: Path) -> None:
    repo = user_repo
    write(repo / "gitops-ml.yaml", CONFIG + "primray: loss\n")
    git(repo, "add", "gitops-ml.yaml")
    proc = _commit(repo, "typo")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "gitops-ml config and params files" in out and "Failed" in out
    assert "gitops-ml.yaml:5: unknown key 'primray'" in out
    git(repo, "checkout", "-q", "HEAD", "--", "gitops-ml.yaml")

    write(repo / "data" / "train.csv", "a,b\n1,2\n")
    git(repo, "add", "data/train.csv")
    proc = _commit(repo, "data")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "gitops-ml no data in git" in out
    assert "data/train.csv: inside the data path 'data' declared in gitops-ml.yaml" in out
    assert "gitops-ml data push" in out
    git(repo, "rm", "-q", "--cached", "data/train.csv")

    write(repo / "params.json", json.dumps({"lr": 0.2, "seed": 1}))
    git(repo, "add", "params.json")
    proc = _commit(repo, "good")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout + proc.stderr


def test_post_commit_links_the_run(user_repo: Path) -> None:
    repo = user_repo
    write(repo / "train.py", (repo / "train.py").read_text() + "# better\n")
    assert cli(repo, "run", "--", "python", "train.py").returncode == 0
    (run_id,) = run_ids(repo)
    git(repo, "add", "train.py")
    proc = _commit(repo, "the code of the best run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gitops-ml link commit to runs" in proc.stdout + proc.stderr
    note = git(repo, "notes", "--ref=gitops-ml", "show", "HEAD")
    assert json.loads(note) == {"type": "code-of", "run": run_id}


def test_push_and_fetch_hooks(user_repo: Path, bare_remote: Path, tmp_path: Path) -> None:
    repo = user_repo
    git(repo, "remote", "add", "origin", str(bare_remote))
    assert cli(repo, "run", "--", "python", "train.py").returncode == 0
    proc = subprocess.run(
        ["git", "push", "-u", "origin", "HEAD:main"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gitops-ml push runs" in proc.stdout + proc.stderr
    assert run_ids(bare_remote) == run_ids(repo)

    # a teammate clones, installs the hooks, and pulls a new run
    git(tmp_path, "clone", "-q", str(bare_remote), "mate")
    mate = tmp_path / "mate"
    assert _pc(mate, "install").returncode == 0
    assert cli(repo, "run", "-p", "lr=0.3", "--", "python", "train.py").returncode == 0
    write(repo / "notes.md", "v2\n")
    git(repo, "add", "notes.md")
    assert _commit(repo, "v2").returncode == 0
    assert (
        subprocess.run(
            ["git", "push", "-q", "origin", "HEAD:main"], cwd=repo, capture_output=True, timeout=600
        ).returncode
        == 0
    )
    proc = subprocess.run(
        ["git", "pull", "--ff-only"], cwd=mate, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gitops-ml fetch runs" in proc.stdout + proc.stderr
    assert run_ids(mate) == run_ids(repo)

    # their failure case: the remote is down; a warning, and the hook passes
    url = refused_url()
    git(mate, "remote", "set-url", "origin", url)
    proc = _pc(
        mate,
        "run",
        "-v",
        "--hook-stage",
        "pre-push",
        "gitops-ml-push-runs",
        "--remote-name",
        "origin",
        "--remote-url",
        url,
        "--from-ref",
        "HEAD~1",
        "--to-ref",
        "HEAD",
    )
    assert proc.returncode == 0, proc.stdout
    assert "gitops-ml-push-runs: warning: cannot reach remote origin" in proc.stdout
    assert "Passed" in proc.stdout
    proc = _pc(mate, "run", "-v", "--hook-stage", "post-merge", "gitops-ml-fetch-runs")
    assert proc.returncode == 0, proc.stdout
    assert "gitops-ml-fetch-runs: warning: cannot reach remote origin" in proc.stdout
