"""Fixtures of the hook tests: a repository of 10,000 files for the speed checks."""

from __future__ import annotations

import subprocess
import time
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


def best_time(
    args: list[str], cwd: Path, repeat: int = 3
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """The fastest of ``repeat`` runs of a command (seconds), and its last result."""
    best = float("inf")
    proc = None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
    assert proc is not None
    return best, proc
