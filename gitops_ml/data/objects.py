"""Verified objects: from the local cache, else downloaded from the remote into it.

Every object's bytes are hashed before use; a corrupt one is never used and never left in
the local cache (it is moved to ``.git/gitops-ml/corrupt/``); missing objects are reported
all at once, with every place looked.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.digests import is_blake3
from gitops_ml.core.errors import ENVIRONMENT, GitopsError, UsageError
from gitops_ml.core.hashing import hash_bytes, hash_file, manifest_lines
from gitops_ml.core.paths import strict_parts
from gitops_ml.data.cache import CorruptObject, LocalStore, object_mode
from gitops_ml.data.remote import WORKERS, RemoteStore

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.core.gitstore import Repo
    from gitops_ml.ui.progress import Transfer

_MAX_NAMED = 50


class MissingObjects(GitopsError):
    """Objects found neither in the local cache nor in the remote (exit 3)."""

    def __init__(self, missing: Mapping[str, str], places: Sequence[str]) -> None:
        self.missing = dict(missing)
        self.places = list(places)
        named = [f"{d} ({label})" for d, label in sorted(missing.items(), key=lambda kv: kv[1])]
        more = f" and {len(named) - _MAX_NAMED} more" if len(named) > _MAX_NAMED else ""
        super().__init__(
            f"{len(named)} data object(s) missing: {', '.join(named[:_MAX_NAMED])}{more}; "
            f"looked in {' and '.join(self.places)}",
            ENVIRONMENT,
        )


CorruptData = CorruptObject  # the data layer's one corrupt-object error (data.cache)


class Objects:
    """Verified objects: from the local cache, else downloaded from the remote into it."""

    def __init__(
        self, repo: Repo, local: LocalStore, remote: RemoteStore | None, progress: bool = True
    ) -> None:
        self.repo = repo
        self.local = local
        self.remote = remote
        self.progress = progress

    def places(self) -> list[str]:
        cache = f"the local cache {self.local.root}"
        if self.remote is None:
            return [f"{cache} (no 'store' configured in gitops-ml.yaml)"]
        return [cache, f"the store {self.remote.url}"]

    def ensure(self, wanted: Mapping[str, str], sizes: Mapping[str, int] | None = None) -> None:
        """Make every object in ``wanted`` (digest -> label) present and verified locally.

        Objects already in the cache are verified when read; missing ones are downloaded,
        verified, then installed. Raises :class:`MissingObjects` naming all that are absent.
        """
        need = sorted(d for d in wanted if not self.local.has(d))
        if not need:
            return
        absent = self.missing(wanted, need)
        if absent:
            raise MissingObjects(absent, self.places())
        assert self.remote is not None
        sizes = sizes or {}
        total = sum(sizes.get(d, 0) for d in need)
        from concurrent.futures import ThreadPoolExecutor  # ~10 ms: only when used

        from gitops_ml.ui.progress import Transfer

        with (
            Transfer(f"pull {len(need)} object(s)", total, self.progress) as bar,
            ThreadPoolExecutor(WORKERS) as pool,
        ):
            for fut in [pool.submit(self._download, d, wanted[d], bar) for d in need]:
                fut.result()

    def missing(
        self, wanted: Mapping[str, str], need: Sequence[str] | None = None
    ) -> dict[str, str]:
        """The objects of ``wanted`` found neither in the local cache nor in the remote."""
        if need is None:
            need = sorted(d for d in wanted if not self.local.has(d))
        present = self.remote.existing(need) if self.remote is not None and need else set()
        return {d: wanted[d] for d in need if d not in present}

    def _download(self, digest: str, label: str, bar: Transfer | None) -> None:
        assert self.remote is not None
        dest = self.local.path(digest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest, mode=object_mode(), durable=False) as tmp:
            if not self.remote.download(digest, tmp, bar):
                raise MissingObjects({digest: label}, self.places())
            got = hash_file(tmp)
            if got != digest:  # raised inside: the download is removed, never installed
                raise CorruptObject(digest, self.remote.where(digest), label=label, got=got)

    def quarantine(self, digest: str) -> Path:
        """Move a corrupt local object out of the cache (kept for inspection)."""
        return self.local.quarantine(digest)

    def _recover(self, digest: str, label: str, got: str) -> None:
        """The local copy is corrupt: move it aside, fetch a good one or raise."""
        where = str(self.local.path(digest))
        q = self.quarantine(digest)
        if self.remote is None or not self.remote.existing([digest]):
            lacks = "no 'store' is configured" if self.remote is None else "the store has no copy"
            raise CorruptObject(
                digest, where, label=label, got=got, note=f"; moved to {q}; {lacks}"
            )
        print(
            f"gitops-ml: warning: object {digest} ({label}) in the local cache was corrupt "
            f"(moved to {q}); fetching it again from {self.remote.url}",
            file=sys.stderr,
        )
        self._download(digest, label, None)

    def read_bytes(self, digest: str, label: str) -> bytes:
        """The verified bytes of a (small) object, e.g. a manifest."""
        data = self.local.path(digest).read_bytes()
        got = hash_bytes(data)
        if got != digest:
            self._recover(digest, label, got)
            data = self.local.path(digest).read_bytes()
            got = hash_bytes(data)
            if got != digest:  # pragma: no cover - changed under us
                raise CorruptObject(digest, str(self.local.path(digest)), label=label, got=got)
        return data

    def copy_to(self, digest: str, label: str, tmp: Path, mode: int) -> None:
        """Copy an object to ``tmp`` (given ``mode``) and verify the copied bytes."""
        for attempt in range(2):
            shutil.copyfile(self.local.path(digest), tmp)
            got = hash_file(tmp)
            if got == digest:
                os.chmod(tmp, mode)
                return
            tmp.unlink(missing_ok=True)
            if attempt == 0:
                self._recover(digest, label, got)
            else:  # pragma: no cover - changed under us
                raise CorruptObject(digest, str(self.local.path(digest)), label=label, got=got)


# ---------------------------------------------------------------- record entries


def entry_fields(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    path, digest, kind = entry.get("path"), entry.get("hash"), entry.get("kind", "file")
    what = f"record entry {path!r}"
    if not isinstance(digest, str) or not is_blake3(digest):
        raise UsageError(f"{what}: {digest!r} is not a content hash")
    if kind not in ("file", "dir"):
        raise UsageError(f"{what}: unknown kind {kind!r}")
    strict_parts(str(path), "record entry")
    return str(path), digest, str(kind)


def manifest_rows(data: bytes, entry_path: str) -> list[tuple[str, int, str]]:
    try:
        rows = manifest_lines(data)
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{entry_path}: directory manifest is malformed") from None
    for digest, _, rel in rows:
        if not is_blake3(digest):
            raise UsageError(f"{entry_path}: directory manifest names {digest!r}, not a hash")
        strict_parts(rel, f"manifest of {entry_path}")
    return rows


def entry_objects(
    objects: Objects, entries: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, str], set[str]]:
    """The objects recorded entries need: ``(digest -> label, manifest digests)``.

    A directory's files are listed from its manifest when the local cache has it; when
    only the store has it, its files are there too (push sends manifests last).
    """
    wanted: dict[str, str] = {}
    manifests: set[str] = set()
    for entry in entries:
        path, digest, kind = entry_fields(entry)
        wanted.setdefault(digest, path if kind == "file" else f"manifest of {path}")
        if kind != "dir":
            continue
        manifests.add(digest)
        if not objects.local.has(digest):
            continue
        data = objects.local.read_bytes(digest)
        for fdigest, _, rel in manifest_rows(data, path):
            wanted.setdefault(fdigest, f"{path}/{rel}")
    return wanted, manifests
