"""The local content-addressed store under ``.git/gitops-ml/cache``.

Objects are named by their BLAKE3 hash; writes are atomic (temp file + rename) and every
read is verified against its name before the bytes are used. Objects are read-only and
never more readable than the user's umask allows, nor than the file they were copied
from (private data stays private: with ``umask 077`` an object is ``0400``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.digests import is_hex
from gitops_ml.core.errors import ENVIRONMENT, USAGE, GitopsError
from gitops_ml.core.hashing import DataEntry, hash_bytes, manifest_lines

_UMASK: list[int] = []


def umask() -> int:
    """The process's umask (read once; ``os.umask`` can only be read by setting it)."""
    if not _UMASK:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK.append(current)
    return _UMASK[0]


def object_mode(src_mode: int | None = None) -> int:
    """The mode of a cached object: read-only, within the umask and the source's mode."""
    mode = 0o444 & ~umask()
    if src_mode is not None:
        mode &= src_mode
    return mode | 0o400


def file_mode(existing: int | None = None) -> int:
    """The mode of a restored file: the file's own when it existed, else what the umask
    gives a new file."""
    if existing is not None:
        return existing & 0o7777
    return 0o666 & ~umask()


class CorruptObject(GitopsError):
    """An object whose bytes do not hash to its name (exit 3); its bytes were not used.

    The one corrupt-object error of the data layer (the local cache, downloads, pushes):
    ``label`` names what the object is (a path), ``got`` the hash its bytes have.
    """

    def __init__(
        self,
        digest: str,
        where: str,
        *,
        label: str | None = None,
        got: str | None = None,
        note: str = "",
    ) -> None:
        self.digest = digest
        self.where = where
        what = f"object {digest}" + (f" ({label})" if label else "")
        how = f"its bytes hash to {got}" if got else "its bytes hash differently"
        super().__init__(f"{what} in {where} is corrupt: {how}; not used{note}", ENVIRONMENT)


class LocalStore:
    """``.git/gitops-ml/cache/<h[:2]>/<h[2:]>``: the only copy of data not yet pushed."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "cache"

    def path(self, digest: str) -> Path:
        if not is_hex(digest):
            raise GitopsError(f"{digest!r} is not a content hash", USAGE)
        return self.root / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()

    def _mark(self, manifest: str) -> Path:
        return self.root.parent / "complete" / manifest

    def is_complete(self, manifest: str) -> bool:
        """Whether a directory (by its manifest hash) was seen with every object cached
        and its manifest is still there.

        Marks live beside the cache (``.git/gitops-ml/complete/``: the cache keeps the
        store's layout). Objects are never removed from the cache except a corrupt one,
        whose quarantine clears every mark; a deleted cache takes the manifests with it.
        """
        mark, kept = self.complete_paths(manifest)
        return os.path.exists(mark) and os.path.exists(kept)

    def complete_paths(self, manifest: str) -> tuple[str, str]:
        """The two files :meth:`is_complete` asks for: the mark and the manifest."""
        root = os.fspath(self.root)
        return f"{root}/../complete/{manifest}", f"{root}/{manifest[:2]}/{manifest[2:]}"

    def mark_complete(self, manifest: str) -> None:
        """Remember that a directory's manifest and all of its files are cached."""
        mark = self._mark(manifest)
        try:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
        except OSError:
            pass

    def has_all(self, digests: list[str]) -> bool:
        """Whether every one of ``digests`` (already validated hashes, e.g. from a verified
        manifest) is in the cache: one ``stat`` each, no per-hash validation or Path."""
        root = os.fspath(self.root)
        exists = os.path.exists
        return all(exists(f"{root}/{d[:2]}/{d[2:]}") for d in digests)

    def _install(self, digest: str, write: object) -> None:
        dest = self.path(digest)
        if dest.exists():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(write, bytes):
            mode = object_mode()
        else:
            mode = object_mode(os.stat(str(write)).st_mode)
        # not fsynced, as before: the cached bytes are a copy of a file that still exists
        with atomic_path(dest, mode=mode, durable=False) as tmp:
            if isinstance(write, bytes):
                tmp.write_bytes(write)
            else:
                shutil.copyfile(str(write), tmp)

    def put_file(self, src: Path, digest: str) -> None:
        """Copy ``src`` in under ``digest`` (already computed by the caller)."""
        self._install(digest, src)

    def put_entry(self, root: Path, entry: DataEntry) -> None:
        """Put a hashed file or directory (its files, then its manifest) in the cache."""
        full = root / entry.path
        if entry.kind == "file":
            self.put_file(full, entry.hash)
            return
        assert entry.manifest is not None
        for digest, _, rel in manifest_lines(entry.manifest):
            self.put_file(full / rel, digest)
        self.put_bytes(entry.manifest)
        self.mark_complete(entry.hash)

    def put_bytes(self, data: bytes) -> str:
        digest = hash_bytes(data)
        self._install(digest, data)
        return digest

    def _missing(self, digest: str) -> GitopsError:
        return GitopsError(f"object {digest} is not in the local cache {self.root}", ENVIRONMENT)

    def quarantine(self, digest: str) -> Path:
        """Move a corrupt object out of the cache (to ``.git/gitops-ml/corrupt/``, kept for
        inspection), so the next pull fetches a good copy instead of failing on it again."""
        src = self.path(digest)
        shutil.rmtree(self.root.parent / "complete", ignore_errors=True)
        dest = self.root.parent / "corrupt" / f"{digest}.{int(time.time())}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, dest)
        except OSError:
            src.unlink(missing_ok=True)
        return dest

    def read_bytes(self, digest: str) -> bytes:
        """An object's bytes, verified (a corrupt one is quarantined and raises)."""
        try:
            data = self.path(digest).read_bytes()
        except FileNotFoundError:
            raise self._missing(digest) from None
        if hash_bytes(data) != digest:
            self.quarantine(digest)
            raise CorruptObject(digest, str(self.root))
        return data
