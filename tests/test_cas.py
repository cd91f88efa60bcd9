"""The local content store: atomic writes, verified reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.cas import CorruptObject, LocalStore
from gitops_ml.errors import GitopsError
from gitops_ml.hashing import hash_bytes


def test_put_read_restore_and_corruption(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "state")
    digest = store.put_bytes(b"hello")
    assert digest == hash_bytes(b"hello") and store.has(digest) and store.verify(digest)
    assert store.read_bytes(digest) == b"hello"
    assert store.put_bytes(b"hello") == digest  # idempotent
    src = tmp_path / "src.bin"
    src.write_bytes(b"data")
    store.put_file(src, hash_bytes(b"data"))
    store.restore(hash_bytes(b"data"), tmp_path / "out" / "x.bin")
    assert (tmp_path / "out" / "x.bin").read_bytes() == b"data"
    assert not list(store.root.rglob("*.tmp"))

    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    assert not store.verify(digest)
    with pytest.raises(CorruptObject):
        store.read_bytes(digest)
    # The corrupt object was moved aside, never to be used again.
    assert not path.exists()
    assert (store.root.parent / "corrupt").is_dir()
    with pytest.raises(GitopsError, match="not in the local cache"):
        store.restore(digest, tmp_path / "y")
    assert not (tmp_path / "y").exists()
    data_digest = hash_bytes(b"data")
    store.path(data_digest).chmod(0o644)
    store.path(data_digest).write_bytes(b"bad")
    with pytest.raises(CorruptObject):
        store.restore(data_digest, tmp_path / "z")
    assert not (tmp_path / "z").exists() and not store.has(data_digest)
    with pytest.raises(GitopsError):
        store.path("../../etc")
