"""core.refstamp: the refs' stat summary that derived state is trusted under."""

from __future__ import annotations

import os
import time
from pathlib import Path

from gitops_ml.core import refstamp
from tests.conftest import git


def _rest(git_dir: Path) -> None:
    past = time.time() - 30
    for p in [git_dir / "packed-refs", *(git_dir / "refs").rglob("*")]:
        if p.exists():
            os.utime(p, (past, past))


def test_none_while_racy_then_stable_until_a_ref_moves(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "c")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    git(tmp_path, "update-ref", "refs/runs/one", head)
    assert refstamp.fingerprint(tmp_path / ".git") is None  # refs/runs just changed
    _rest(tmp_path / ".git")
    first = refstamp.fingerprint(tmp_path / ".git")
    assert first is not None and "refs/runs:" in first and "packed-refs:-" in first
    assert refstamp.fingerprint(str(tmp_path / ".git")) == first
    git(tmp_path, "update-ref", "refs/runs/two", head)
    _rest(tmp_path / ".git")
    assert refstamp.fingerprint(tmp_path / ".git") not in (None, first)
