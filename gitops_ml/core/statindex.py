"""A private git index of a big data directory's files: git's own stat pass (C, in
threads, ~1 µs a file) says whether any file changed, instead of one Python ``lstat`` per
file (~2.5 µs). Used by ``data status``; any doubt falls back to the Python walk.

``.git/gitops-ml/statindex/<key>.idx`` is a git index (version 2) listing every file of
the directory with the stat it had when it was last hashed, and ``<key>.json`` the
directory's entry (hash, size, files) and the stat of each of its folders. A lookup is a
hit when every folder's mtime, ctime and inode are as recorded (they move whenever an
entry is added, removed or renamed in it: new and deleted files, FIFOs, links) and
``git diff-files --quiet`` run on that index finds no file changed (size, mtime, ctime,
inode, owner and executable bit compared by git, with ``core.checkStat`` and friends
forced to their strict defaults: :mod:`gitops_ml.core.statcheck`).

Kept only for a directory of at least :data:`MIN_FILES` regular files (no symlink: git
would stat the link, not the file it points to), declared by a plain path inside the
repository, whose every file and folder was last changed in an earlier whole second than
the index itself was written: git compares whole seconds unless built with ``USE_NSEC``
and tells racy entries by their mtime only, so a rewrite in the same second with the old
mtime put back could otherwise pass. Entries carry no real object id (git needs none for
an entry whose stat matches; one whose stat differs, or that git finds racy, is reported
as modified); an empty file carries the empty blob's, as git expects of a size-0 entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import time

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.statcheck import CHECK, Folders, folders_unchanged, stamp

TYPE_CHECKING = False  # typing costs ~2-7 ms to import: only for the type checker
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MIN_FILES = 1000  # below this, git's process costs more than the Python walk saves
VERSION = 1
_EMPTY_BLOB = {
    "sha1": bytes.fromhex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
    "sha256": bytes.fromhex("473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"),
}
_U32 = 0xFFFFFFFF


class StatIndex:
    """The private indexes of one repository's data directories."""

    def __init__(self, top: Path, state_dir: Path, object_format: str = "sha1") -> None:
        self.top = os.fspath(top)
        self.where = os.path.join(os.fspath(state_dir), "statindex")
        self.object_format = object_format
        # full path -> (index file, its stamp, its .json, its stamp, folders) of each
        # lookup that was a hit (statcheck.stamp, taken before the .json was read)
        self.hits: dict[str, tuple[str, list[int] | None, str, list[int] | None, Folders]] = {}

    def _paths(self, full: str) -> tuple[str, str]:
        from gitops_ml.core.hashing import hash_bytes

        key = hash_bytes(os.fsencode(full))[:32]
        base = os.path.join(self.where, key)
        return base + ".idx", base + ".json"

    def _usable(self, rel: str, full: str) -> bool:
        parts = rel.strip("/").split("/")
        return (
            os.path.join(self.top, rel) == full
            and not os.path.isabs(rel)
            and all(p not in ("", ".", "..") for p in parts)
        )

    def lookup(self, rel: str, full: str) -> tuple[str, int, int] | None:
        """``(hash, size, files)`` of the directory ``rel`` when no file or folder of it
        changed since its index was written; None otherwise (or with no index)."""
        if not self._usable(rel, full):
            return None
        idx, meta = self._paths(full)
        stamps = (stamp(idx), stamp(meta))  # before reading: a rewrite since shows
        if stamps[0] is None:
            return None  # git would take a missing index for an empty one: a false hit
        try:
            with open(meta, encoding="utf-8") as fh:
                kept: dict[str, Any] = json.load(fh)
            same = (
                kept.get("v") == VERSION
                and kept.get("full") == full
                and kept.get("format") == self.object_format
                and folders_unchanged(full, kept["folders"])
            )
            entry = (str(kept["hash"]), int(kept["size"]), int(kept["files"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if not same:
            return None
        from gitops_ml.core import git

        # no pathspec: the index holds this directory's files only (matching one costs ~1 ms)
        proc = git.run(CHECK, self.top, env={"GIT_INDEX_FILE": idx}, check=False)
        if proc.returncode != 0 or proc.stdout:
            return None
        self.hits[full] = (idx, stamps[0], meta, stamps[1], kept["folders"])
        return entry

    def record(
        self,
        rel: str,
        full: str,
        *,
        names: list[str],
        stats: list[os.stat_result],
        folders: Folders,
        entry: tuple[str, int, int],
    ) -> None:
        """Keep an index of the directory ``rel`` (files ``names`` with ``stats``, relative
        to it; its entry ``(hash, size, files)``), when it qualifies (module docs)."""
        idx, meta = self._paths(full)
        if len(names) < MIN_FILES or not self._usable(rel, full):
            self.forget(full)
            return
        newest = max(
            max((max(s.st_mtime_ns, s.st_ctime_ns) for s in stats), default=0),
            max((max(m, c) for _, m, c, _ in folders), default=0),
        )
        if time.time_ns() // 1_000_000_000 <= newest // 1_000_000_000:
            self.forget(full)  # changed this second: not yet (see the module docs)
            return
        from pathlib import Path

        try:
            os.makedirs(self.where, exist_ok=True)
            with atomic_path(Path(idx), durable=False) as tmp:
                tmp.write_bytes(self._index_bytes(rel.strip("/"), names, stats))
            written = os.stat(idx).st_mtime_ns
            if written // 1_000_000_000 <= newest // 1_000_000_000:
                self.forget(full)  # a file or folder changed in this same second
                return
            kept = {
                "v": VERSION,
                "full": full,
                "format": self.object_format,
                "hash": entry[0],
                "size": entry[1],
                "files": entry[2],
                "folders": folders,
            }
            with atomic_path(Path(meta), durable=False) as tmp:
                tmp.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf-8")
        except OSError:
            self.forget(full)
        self._prune()

    def _prune(self) -> None:
        """Drop the indexes of directories that are gone (renamed, deleted)."""
        try:
            names = os.listdir(self.where)
        except OSError:
            return
        for name in names:
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(self.where, name), encoding="utf-8") as fh:
                    full = json.load(fh).get("full")
            except (OSError, ValueError, AttributeError):
                full = None
            if not isinstance(full, str) or not os.path.isdir(full):
                for path in (name, name[: -len(".json")] + ".idx"):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(self.where, path))

    def forget(self, full: str) -> None:
        for path in self._paths(full):
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _index_bytes(self, rel: str, names: list[str], stats: list[os.stat_result]) -> bytes:
        """A version-2 git index of the files (``rel/name``), sorted as git sorts."""
        import hashlib

        sha256 = self.object_format == "sha256"
        oid_len = 32 if sha256 else 20
        zero = b"\0" * oid_len
        empty = _EMPTY_BLOB["sha256" if sha256 else "sha1"]
        fixed = 40 + oid_len + 2
        pack = struct.Struct(">10I").pack
        rows = sorted(
            (
                (f"{rel}/{n}".encode("utf-8", "surrogateescape"), s)
                for n, s in zip(names, stats, strict=True)
            ),
            key=lambda r: r[0],
        )
        out = [b"DIRC", struct.pack(">II", 2, len(rows))]
        for name, st in rows:
            mode = 0o100755 if st.st_mode & 0o100 else 0o100644
            out.append(
                pack(
                    (st.st_ctime_ns // 1_000_000_000) & _U32,
                    st.st_ctime_ns % 1_000_000_000,
                    (st.st_mtime_ns // 1_000_000_000) & _U32,
                    st.st_mtime_ns % 1_000_000_000,
                    st.st_dev & _U32,
                    st.st_ino & _U32,
                    mode,
                    st.st_uid & _U32,
                    st.st_gid & _U32,
                    st.st_size & _U32,
                )
            )
            out.append(empty if st.st_size == 0 else zero)
            out.append(struct.pack(">H", min(len(name), 0xFFF)) + name)
            size = fixed + len(name)
            out.append(b"\0" * ((size + 8) // 8 * 8 - size))
        body = b"".join(out)
        digest = hashlib.sha256(body) if sha256 else hashlib.sha1(body)
        return body + digest.digest()
