"""gitops_ml.data.remote: the data remote over fsspec."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import config
from gitops_ml.core.errors import GitopsError
from gitops_ml.data import remote
from tests.data_helpers import blake3_hex


def test_remote_store_from_config(tmp_path: Path) -> None:
    cfg = config.Config(store="../store", path=tmp_path / "repo" / "gitops-ml.yaml")
    store = remote.remote_store(cfg)
    assert store is not None and store.url == str(tmp_path / "store")
    assert not store.atomic_put
    assert remote.remote_store(config.Config()) is None
    s3 = remote.open_remote("s3://bucket/some/prefix", tmp_path)
    assert s3.atomic_put and s3.root == "bucket/some/prefix"
    assert s3.where("ab" + "c" * 62) == "s3://bucket/some/prefix/ab/" + "c" * 62
    with pytest.raises(GitopsError) as info:
        remote.open_remote("nosuchproto://x", tmp_path)
    assert info.value.code == 2


def test_existing_uses_one_listing_for_many_objects(tmp_path: Path) -> None:
    store = remote.open_remote(f"memory://gitops-ml-test-{tmp_path.name}", tmp_path)
    src = tmp_path / "obj"
    digests = []
    for i in range(80):
        src.write_bytes(f"object {i}".encode())
        digest = blake3_hex(src.read_bytes())
        store.upload(src, digest)
        digests.append(digest)
    absent = "f" * 64
    assert store.existing([*digests, absent]) == set(digests)  # > threshold: listing
    assert store.existing([digests[0], absent]) == {digests[0]}  # few: one probe each
    assert store.listing() == set(digests)
