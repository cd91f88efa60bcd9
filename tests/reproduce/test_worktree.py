"""The reproduce checkout: a detached worktree of the snapshot, owned, removed afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.reproduce import worktree
from tests.conftest import git, write


def _repo(tmp_path: Path) -> tuple[gitstore.Repo, str]:
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    write(root / "train.py", "print(1)\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "c")
    return gitstore.open_repo(root), git(root, "rev-parse", "HEAD").strip()


def test_the_checkout_is_owned_while_it_lives_and_removed_after(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path)
    logs: list[str] = []
    with worktree.checkout(repo, "01RUN", commit, keep=False, log=logs.append) as where:
        assert (where / "train.py").read_text() == "print(1)\n"
        owner = where.with_name(where.name + ".owner")
        assert owner.read_text().split()[-1].isdigit()
        assert where.parent == repo.state_dir / "worktrees"
    assert not where.exists() and not owner.exists()
    assert len(git(repo.top, "worktree", "list").splitlines()) == 1
    assert "checking out the code of run 01RUN" in logs[0]


def test_keep_leaves_it_without_an_owner(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path)
    with worktree.checkout(repo, "01RUN", commit, keep=True, log=lambda _m: None) as where:
        pass
    assert where.is_dir() and not where.with_name(where.name + ".owner").exists()


def test_a_failed_checkout_leaves_nothing(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    with (
        pytest.raises(GitopsError),
        worktree.checkout(repo, "01RUN", "0" * 40, keep=False, log=lambda _m: None),
    ):
        pass
    assert not [p for p in (repo.state_dir / "worktrees").iterdir()]
