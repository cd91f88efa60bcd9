"""Content hashes of data and outputs: BLAKE3, with a stat cache so unchanged files are not re-read.

A file's hash is the BLAKE3 of its bytes. A directory's hash is the BLAKE3 of its
manifest: one line ``<hash> <size> <relative path>`` per file, sorted by path; the
manifest is kept in the content store so a directory can be restored file by file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_ml.errors import UsageError

_MMAP_THRESHOLD = 4 * 1024 * 1024
_RACY_SECONDS = 2.0


def hash_bytes(data: bytes) -> str:
    from blake3 import blake3

    return str(blake3(data).hexdigest())


def hash_file(path: str | os.PathLike[str], size: int | None = None) -> str:
    """BLAKE3 of one file's bytes (memory-mapped and multi-threaded when large)."""
    from blake3 import blake3

    if size is None:
        size = os.stat(path).st_size
    if size >= _MMAP_THRESHOLD:
        hasher = blake3(max_threads=blake3.AUTO)
        hasher.update_mmap(path)
        return str(hasher.hexdigest())
    with open(path, "rb") as fh:
        return str(blake3(fh.read()).hexdigest())


@dataclass
class DataEntry:
    """What a run records about one declared data path or output."""

    path: str
    hash: str
    size: int
    files: int
    kind: str  # "file" or "dir"
    manifest: bytes | None = field(default=None, repr=False)

    def record(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "hash": self.hash,
            "size": self.size,
            "files": self.files,
            "kind": self.kind,
        }


class HashCache:
    """Stat cache: ``path -> (size, mtime_ns, inode, hash)``, stored in ``.git/gitops-ml``.

    Derived state: deleting the file only costs a re-read. Entries whose mtime is too close
    to now are not trusted (a file can change again within the clock's granularity).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        if path is not None:
            try:
                self._entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self._entries = {}

    def hash(self, full: Path, st: os.stat_result) -> str:
        key = str(full)
        hit = self._entries.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns and hit[2] == st.st_ino:
            return str(hit[3])
        digest = hash_file(full, st.st_size)
        if time.time() - st.st_mtime > _RACY_SECONDS:
            self._entries[key] = [st.st_size, st.st_mtime_ns, st.st_ino, digest]
            self._dirty = True
        return digest

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._entries, separators=(",", ":")))
        os.replace(tmp, self.path)
        self._dirty = False


def _walk(root: Path, rel: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    with os.scandir(root / rel if rel else root) as it:
        for entry in it:
            name = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name != ".git":
                    yield from _walk(root, name)
            elif entry.is_file(follow_symlinks=True):
                yield name, entry


def manifest_lines(manifest: bytes) -> list[tuple[str, int, str]]:
    """Parse a directory manifest into ``(hash, size, relative path)`` rows."""
    rows = []
    for line in manifest.decode().splitlines():
        digest, size, rel = line.split(" ", 2)
        rows.append((digest, int(size), rel))
    return rows


def hash_path(top: Path, rel: str, cache: HashCache) -> DataEntry:
    """Hash a declared data path (file or directory) relative to ``top``."""
    full = top / rel
    try:
        st = full.stat()
    except FileNotFoundError:
        raise UsageError(f"{rel}: declared in gitops-ml.yaml but missing") from None
    if not full.is_dir():
        return DataEntry(rel, cache.hash(full, st), st.st_size, 1, "file")
    rows = []
    total = 0
    for name, entry in sorted(_walk(full), key=lambda item: item[0]):
        est = entry.stat()
        rows.append(f"{cache.hash(full / name, est)} {est.st_size} {name}\n")
        total += est.st_size
    manifest = "".join(rows).encode()
    return DataEntry(rel, hash_bytes(manifest), total, len(rows), "dir", manifest)
