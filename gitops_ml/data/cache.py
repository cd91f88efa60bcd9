"""The local content-addressed store under ``.git/gitops-ml/cache``.

Objects are named by their BLAKE3 hash; writes are atomic (temp file + rename) and every
read is verified against its name before the bytes are used.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from gitops_ml.core.errors import GitopsError
from gitops_ml.core.hashing import hash_bytes


class CorruptObject(GitopsError):
    def __init__(self, digest: str, where: str) -> None:
        super().__init__(
            f"object {digest} in {where} is corrupt (its bytes hash differently); not used", 3
        )


class LocalStore:
    """``.git/gitops-ml/cache/<h[:2]>/<h[2:]>``: the only copy of data not yet pushed."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "cache"

    def path(self, digest: str) -> Path:
        if len(digest) < 8 or not all(c in "0123456789abcdef" for c in digest):
            raise GitopsError(f"{digest!r} is not a content hash", 2)
        return self.root / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()

    def _install(self, digest: str, write: object) -> None:
        dest = self.path(digest)
        if dest.exists():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        try:
            if isinstance(write, bytes):
                tmp.write_bytes(write)
            else:
                shutil.copyfile(str(write), tmp)
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, src: Path, digest: str) -> None:
        """Copy ``src`` in under ``digest`` (already computed by the caller)."""
        self._install(digest, src)

    def put_bytes(self, data: bytes) -> str:
        digest = hash_bytes(data)
        self._install(digest, data)
        return digest

    def _missing(self, digest: str) -> GitopsError:
        return GitopsError(f"object {digest} is not in the local cache {self.root}", 3)

    def quarantine(self, digest: str) -> Path:
        """Move a corrupt object out of the cache (to ``.git/gitops-ml/corrupt/``, kept for
        inspection), so the next pull fetches a good copy instead of failing on it again."""
        src = self.path(digest)
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
