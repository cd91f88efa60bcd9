"""Shared fixtures: real git repositories, bare remotes, the real CLI in subprocesses.

Every test runs with a pinned git identity, an empty git template dir, no system or
global git config, and HOME/XDG dirs inside its tmp dir, so nothing touches the user's
real configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest


def _bin_dir() -> str:
    return os.path.dirname(sys.executable)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    template = tmp_path_factory.mktemp("git-template")
    for name in list(os.environ):
        if name.startswith("GIT_") or name.startswith("GITOPS_ML_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(template))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file:git:http")
    monkeypatch.setenv("PATH", _bin_dir() + os.pathsep + os.environ.get("PATH", ""))
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n")


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    """Run git in ``cwd`` and return stdout."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``gitops-ml`` console script in a subprocess."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        ["gitops-ml", *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=timeout
    )


def cli_json(cwd: Path, *args: str) -> Any:
    proc = cli(cwd, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


TRAIN = """\
import json, sys
p = json.load(open("params.json"))
json.dump({"accuracy": round(1 - p["lr"] / 10, 6), "loss": p["lr"]}, open("metrics.json", "w"))
print("trained", p["lr"])
sys.exit(p.get("exit", 0))
"""


def make_project(root: Path, *, commit: bool = True, config: str | None = None) -> Path:
    """A small ML project: train.py, params.json, gitops-ml.yaml; committed unless told not."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root / "train.py", TRAIN)
    write(root / "params.json", json.dumps({"lr": 0.1, "seed": 1}))
    write(root / ".gitignore", "metrics.json\n")
    write(
        root / "gitops-ml.yaml",
        config or "params: params.json\nmetrics: metrics.json\nprimary: accuracy\n",
    )
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A committed example project in a fresh git repository."""
    return make_project(tmp_path / "project")


@pytest.fixture
def bare_remote(tmp_path: Path) -> Iterator[Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    yield remote


def all_objects_text(repo: Path) -> bytes:
    """Every object in the repository (loose and packed), concatenated."""
    listing = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input=listing.encode(),
        capture_output=True,
        check=True,
    )
    return proc.stdout


def run_ids(repo: Path) -> list[str]:
    """Every run id: ``refs/runs/*`` and the runs compacted into ``refs/gitops-ml/archive``."""
    out = git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/runs/")
    archived = git(repo, "ls-tree", "-r", "--name-only", "refs/gitops-ml/archive", check=False)
    return sorted(set(out.split()) | {p.rpartition("/")[2] for p in archived.split()})


def sh(cmd: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True)
