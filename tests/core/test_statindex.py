"""The private git index of a big data directory: git's stat pass answers "unchanged"
only when nothing changed (checked against a from-scratch hash after every kind of edit)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitops_ml.core import hashing, statindex
from gitops_ml.core.errors import UsageError
from gitops_ml.core.hashing import HashCache, hash_path
from tests.conftest import git
from tests.core.datatree import CHANGES, aged_tree


def _next_second() -> None:
    """Sleep into the start of the next whole second (the index is kept only for files
    last changed in an earlier second than itself)."""
    time.sleep(1.02 - time.time() % 1)


@pytest.fixture
def data_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with ``d/``: 12 files (one empty) in three folders, all a minute old."""
    monkeypatch.setattr(statindex, "MIN_FILES", 5)  # the real threshold is 1,000 files
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    aged_tree(repo / "d", 12, empty_last=True)
    return repo


def _index(repo: Path) -> statindex.StatIndex:
    return statindex.StatIndex(repo, repo / ".git" / "gitops-ml")


@pytest.mark.parametrize("change", list(CHANGES))
def test_git_stat_pass_never_hides_a_change(
    data_repo: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_file = data_repo / ".git" / "gitops-ml" / "hc.bin"
    _next_second()
    first = hash_path(data_repo, "d", HashCache(cache_file), _index(data_repo))
    assert list((data_repo / ".git" / "gitops-ml" / "statindex").glob("*.idx"))
    walks: list[str] = []
    real = hashing._walk
    monkeypatch.setattr(hashing, "_walk", lambda *a: walks.append(a[0]) or real(*a))
    again = hash_path(data_repo, "d", HashCache(cache_file), _index(data_repo))
    assert (again.hash, again.size, again.files) == (first.hash, first.size, first.files)
    assert walks == []  # answered by git's stat pass: the fast path is what is under test
    assert again.manifest == first.manifest  # built on demand, by a walk
    CHANGES[change](data_repo / "d")
    if change == "FIFO added":
        with pytest.raises(UsageError, match="FIFO"):
            hash_path(data_repo, "d", HashCache(cache_file), _index(data_repo))
        return
    after = hash_path(data_repo, "d", HashCache(cache_file), _index(data_repo))
    fresh = hash_path(data_repo, "d", HashCache(None))
    assert (after.hash, after.manifest, after.files) == (fresh.hash, fresh.manifest, fresh.files)
    assert (after.hash == first.hash) == (change == "made executable")  # a mode is no content


def test_not_kept_for_files_changed_this_second(data_repo: Path) -> None:
    """git compares whole seconds: a file changed in the second the index would be written
    could change again unseen, so no index is written then (the walk answers)."""
    while time.time() % 1 > 0.5:  # room for the write and the hash in the same second
        time.sleep(0.05)
    (data_repo / "d" / "s0" / "f0.txt").write_text("now\n")
    hash_path(data_repo, "d", HashCache(None), _index(data_repo))
    assert not list((data_repo / ".git" / "gitops-ml" / "statindex").glob("*.idx"))


def test_not_kept_for_small_or_linked_directories(
    data_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under MIN_FILES, or with a symlink inside (git would stat the link, not its file)."""
    _next_second()
    monkeypatch.setattr(statindex, "MIN_FILES", 100)
    hash_path(data_repo, "d", HashCache(None), _index(data_repo))
    monkeypatch.setattr(statindex, "MIN_FILES", 5)
    (data_repo / "d" / "s0" / "link").symlink_to(data_repo / "d" / "s1" / "f1.txt")
    _next_second()
    hash_path(data_repo, "d", HashCache(None), _index(data_repo))
    assert not list((data_repo / ".git" / "gitops-ml" / "statindex").glob("*.idx"))


def test_index_of_a_directory_gone_is_dropped(data_repo: Path) -> None:
    """A renamed or deleted data directory leaves no index behind at the next record."""
    kept = data_repo / ".git" / "gitops-ml" / "statindex"
    _next_second()
    hash_path(data_repo, "d", HashCache(None), _index(data_repo))
    assert len(list(kept.glob("*.idx"))) == 1
    (data_repo / "d").rename(data_repo / "e")
    _next_second()
    hash_path(data_repo, "e", HashCache(None), _index(data_repo))
    assert _index(data_repo).lookup("e", str(data_repo / "e")) is not None
    assert len(list(kept.glob("*.idx"))) == len(list(kept.glob("*.json"))) == 1
