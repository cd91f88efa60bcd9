"""BLAKE3 content hashes and directory manifests (checked against the blake3 package)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from blake3 import blake3

from gitops_ml.core.hashing import HashCache, hash_file, hash_path, manifest_lines


def test_file_and_directory_hashes(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_bytes(b"bee")
    (tmp_path / "d" / "sub" / "a b.txt").write_bytes(b"a")
    (tmp_path / "f.bin").write_bytes(b"x" * 5_000_000)  # over the mmap threshold
    assert hash_file(tmp_path / "f.bin") == blake3(b"x" * 5_000_000).hexdigest()
    entry = hash_path(tmp_path, "d", HashCache(None))
    manifest = (
        f"{blake3(b'bee').hexdigest()} 3 b.txt\n{blake3(b'a').hexdigest()} 1 sub/a b.txt\n"
    ).encode()
    assert entry.manifest == manifest
    assert entry.hash == blake3(manifest).hexdigest()
    assert (entry.size, entry.files, entry.kind) == (4, 2, "dir")
    assert manifest_lines(manifest)[1] == (blake3(b"a").hexdigest(), 1, "sub/a b.txt")


def test_stat_cache_rehashes_changed_files(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"one")
    old = time.time() - 60
    os.utime(f, (old, old))
    cache_path = tmp_path / "cache.json"
    cache = HashCache(cache_path)
    assert hash_path(tmp_path, "f", cache).hash == blake3(b"one").hexdigest()
    cache.save()
    assert cache_path.exists()
    f.write_bytes(b"two")  # same size, new mtime
    assert hash_path(tmp_path, "f", HashCache(cache_path)).hash == blake3(b"two").hexdigest()
    os.utime(f, (old, old))  # same size and mtime as the cached entry, but a new inode?
    g = tmp_path / "g"
    g.write_bytes(b"six")
    os.utime(g, (old, old))
    os.replace(g, f)
    assert hash_path(tmp_path, "f", HashCache(cache_path)).hash == blake3(b"six").hexdigest()


def test_a_data_file_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    from gitops_ml.core.errors import UsageError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ok.csv").write_text("a\n")
    (tmp_path / "data" / "bad\nname.csv").write_text("b\n")
    with pytest.raises(UsageError, match="line breaks"):
        hash_path(tmp_path, "data", HashCache(None))
