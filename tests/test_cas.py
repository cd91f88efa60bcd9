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
    with pytest.raises(CorruptObject):
        store.restore(digest, tmp_path / "y")
    assert not (tmp_path / "y").exists()
    with pytest.raises(GitopsError):
        store.path("../../etc")
