"""Fixtures of the hook tests: a repository of 10,000 files (the hooks at scale)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, make_project

N_FILES = 10_000


@pytest.fixture(scope="session")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed project with 10,000 small files, 50 of them modified and staged."""
    root = make_project(tmp_path_factory.mktemp("big") / "repo", commit=False)
    for d in range(100):
        sub = root / "src" / f"d{d:02d}"
        sub.mkdir(parents=True)
        for f in range(N_FILES // 100):
            (sub / f"f{f:03d}.py").write_text(f"x = {d * 100 + f}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "10k files")
    for f in range(50):
        (root / "src" / "d00" / f"f{f:03d}.py").write_text("changed = True\n")
    git(root, "add", "-A")
    return root


def run_hook(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook's console script (or ``gitops-ml hook ...``) in ``cwd``."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
