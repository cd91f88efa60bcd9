"""BLAKE3 content hashes and directory manifests (checked against the blake3 package)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from blake3 import blake3

from gitops_ml.core.hashing import HashCache, hash_file, hash_path, manifest_lines
from tests.core.datatree import CHANGES, aged_tree


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


NAMES = [
    "form\ffeed.csv",
    "nel\u0085.csv",
    "ls\u2028.csv",
    "gs\x1d.csv",
    "line\nbreak.csv",
    "cr\r.csv",
    "back\\slash.csv",
    "latin1-\udce9.csv",
    "plain.csv",
]


def test_any_file_name_round_trips_through_the_manifest(tmp_path: Path) -> None:
    from gitops_ml.core import manifest

    root = tmp_path / "data"
    root.mkdir()
    for i, name in enumerate(NAMES):
        (root / name).write_bytes(f"{i}".encode())
    entry = hash_path(tmp_path, "data", HashCache(None))
    assert entry.manifest is not None
    rows = manifest_lines(entry.manifest)
    assert sorted(r[2] for r in rows) == sorted(NAMES)
    assert all(blake3(f"{NAMES.index(n)}".encode()).hexdigest() == d for d, _, n in rows)
    assert entry.manifest.startswith(manifest.HEADER_2 + b"\n")  # a name holds a line break
    # without line breaks in names, the format (and so every old hash) is unchanged
    plain = [(d, s, n) for d, s, n in rows if "\n" not in n and "\r" not in n]
    text = manifest.encode(plain)
    assert not text.startswith(manifest.HEADER_2)
    assert manifest.decode(text) == plain


def test_old_manifests_still_read() -> None:
    digest = "a" * 64
    old = f"{digest} 3 images/cat.txt\n{digest} 1 sub/a b.txt\n".encode()
    assert manifest_lines(old) == [(digest, 3, "images/cat.txt"), (digest, 1, "sub/a b.txt")]


def _hashed_tree(tmp_path: Path, files: int) -> tuple[Path, Path, Any]:
    """``d/`` of ``files`` aged files, hashed once with its stat cache saved."""
    root, cache_path = tmp_path / "d", tmp_path / "hc.bin"
    aged_tree(root, files)
    cache = HashCache(cache_path)
    first = hash_path(tmp_path, "d", cache)
    cache.save()
    return root, cache_path, first


def test_unchanged_directory_is_known_by_its_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_ml.core import hashing

    root, cache_path, first = _hashed_tree(tmp_path, 30)
    read: list[str] = []
    real = hashing.hash_file
    monkeypatch.setattr(hashing, "hash_file", lambda p, *a: read.append(str(p)) or real(p, *a))
    again = hash_path(tmp_path, "d", HashCache(cache_path))
    assert (again.hash, again.size, again.files) == (first.hash, first.size, first.files)
    assert again.manifest == first.manifest and read == []  # built lazily, from the stat cache
    # a rename keeps every stat but changes the names: no longer a hit
    os.rename(root / "s0" / "f0.txt", root / "s0" / "g0.txt")
    moved = hash_path(tmp_path, "d", HashCache(cache_path))
    assert moved.hash != first.hash
    assert "g0.txt" in (moved.manifest or b"").decode()


# the edits a stat cache can see (links and FIFOs are refused: tests/core/test_statindex.py)
HASH_CHANGES = [c for c in CHANGES if c not in ("symlink added", "FIFO added")]


@pytest.mark.parametrize("change", HASH_CHANGES)
def test_directory_fingerprint_misses_on_every_change(tmp_path: Path, change: str) -> None:
    """The fast path (a directory known by its files' names and stats) never hides a
    change: after each kind of edit the hash is the one computed from scratch."""
    from gitops_ml.core import hashing

    root, cache_path, first = _hashed_tree(tmp_path, 9)
    warm = HashCache(cache_path)
    assert hash_path(tmp_path, "d", warm).hash == first.hash
    assert not warm._dirs_dirty  # a hit: the fast path is what is under test
    CHANGES[change](root)
    after = hash_path(tmp_path, "d", HashCache(cache_path))
    fresh = hash_path(tmp_path, "d", HashCache(None))
    assert (after.hash, after.manifest, after.files) == (fresh.hash, fresh.manifest, fresh.files)
    if change == "made executable":  # a mode is not content: same hash, found again
        assert after.hash == first.hash
    else:
        assert after.hash != first.hash
    assert hashing._fingerprint(["a"], [1, 2, 3, 4]) != hashing._fingerprint(["a"], [1, 2, 3, 5])


def test_fingerprint_takes_any_stat_value() -> None:
    """An inode number or size beyond 2**63 (some file systems) still fingerprints, and
    names cannot run into each other."""
    from gitops_ml.core import hashing

    huge = hashing._fingerprint(["a"], [2**64 - 1, 0, 0, 0])
    assert huge != hashing._fingerprint(["a"], [0, 0, 0, 0])
    assert hashing._fingerprint(["a", "b"], []) != hashing._fingerprint(["a\0b"], [])
    assert hashing._fingerprint(["ab"], []) != hashing._fingerprint(["a", "b"], [])
