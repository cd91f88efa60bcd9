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


def test_unchanged_directory_is_known_by_its_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_ml.core import hashing

    root = tmp_path / "d"
    for i in range(30):
        (root / f"s{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"s{i % 3}" / f"f{i}.txt").write_text(f"{i}\n")
    old = time.time() - 60
    for p in root.rglob("*"):
        os.utime(p, (old, old))
    cache_path = tmp_path / "hc.bin"
    cache = HashCache(cache_path)
    first = hash_path(tmp_path, "d", cache)
    cache.save()
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
