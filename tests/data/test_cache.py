"""The local content store: atomic writes, verified reads, corrupt objects moved aside.

(Restoring files from it, verified, is datasync's job: tests/test_datasync.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.errors import GitopsError
from gitops_ml.core.hashing import hash_bytes, hash_file
from gitops_ml.data.cache import CorruptObject, LocalStore


def test_put_read_and_corruption(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "state")
    digest = store.put_bytes(b"hello")
    assert digest == hash_bytes(b"hello") and store.has(digest)
    assert hash_file(store.path(digest)) == digest
    assert store.read_bytes(digest) == b"hello"
    assert store.put_bytes(b"hello") == digest  # idempotent
    src = tmp_path / "src.bin"
    src.write_bytes(b"data")
    store.put_file(src, hash_bytes(b"data"))
    assert store.read_bytes(hash_bytes(b"data")) == b"data"
    assert not list(store.root.rglob("*.tmp"))

    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(CorruptObject):
        store.read_bytes(digest)
    # The corrupt object was moved aside, never to be used again.
    assert not path.exists()
    assert [p.name.split(".")[0] for p in (store.root.parent / "corrupt").iterdir()] == [digest]
    with pytest.raises(GitopsError, match="not in the local cache"):
        store.read_bytes(digest)
    with pytest.raises(GitopsError):
        store.path("../../etc")


def test_complete_marks_are_cleared_by_a_quarantine(tmp_path: Path) -> None:
    from gitops_ml.core.hashing import HashCache, hash_path

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"a")
    (tmp_path / "d" / "b").write_bytes(b"b")
    store = LocalStore(tmp_path / "state")
    entry = hash_path(tmp_path, "d", HashCache(None))
    assert not store.is_complete(entry.hash)
    store.put_entry(tmp_path, entry)
    assert store.is_complete(entry.hash)
    store.quarantine(hash_bytes(b"a"))
    assert not store.is_complete(entry.hash)
    assert not store.has_all([hash_bytes(b"a"), hash_bytes(b"b")])
    assert store.has_all([hash_bytes(b"b")])


def test_a_deleted_cache_is_not_complete(tmp_path: Path) -> None:
    import shutil

    from gitops_ml.core.hashing import HashCache, hash_path

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"a")
    store = LocalStore(tmp_path / "state")
    entry = hash_path(tmp_path, "d", HashCache(None))
    store.put_entry(tmp_path, entry)
    assert store.is_complete(entry.hash)
    assert not (store.root / "complete").exists()  # the cache keeps the store's layout
    shutil.rmtree(store.root)
    assert not store.is_complete(entry.hash)
