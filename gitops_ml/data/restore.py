"""Restoring recorded data and outputs from the content store, verified.

Guarantees of :func:`restore_entries`:

- every object's bytes are hashed before use (see :mod:`gitops_ml.data.objects`);
- a path in a record or a manifest that would leave the destination (absolute, ``..``,
  ``.git``, through a symlinked directory) is refused before anything is written;
- missing objects are reported all at once, with every place looked;
- files are staged next to their destination and renamed into place only when every
  object of the restore was found and verified.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops_ml.core.atomic import temp_name
from gitops_ml.core.errors import UsageError
from gitops_ml.core.hashing import HashCache
from gitops_ml.data.cache import LocalStore, file_mode
from gitops_ml.data.objects import MissingObjects, Objects, entry_fields, manifest_rows
from gitops_ml.data.remote import RemoteStore, remote_store

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from gitops_ml.core.config import Config
    from gitops_ml.core.gitstore import Repo


def _check_no_symlinked_dirs(dest_root: Path, parts: list[str], what: str, leaf_dir: bool) -> None:
    """Refuse to write through a symlinked directory under ``dest_root``."""
    cur = dest_root
    last = len(parts) - 1
    for i, part in enumerate(parts):
        cur = cur / part
        if cur.is_symlink() and (i < last or leaf_dir):
            raise UsageError(
                f"{what}: refusing to restore through the symlink {cur} (it could point outside "
                "the repository); replace it with a real directory"
            )


def _inside(root_real: str, path: Path) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([root_real, real]) == root_real


@dataclass
class _Target:
    rel: str  # relative to dest_root
    digest: str
    size: int | None
    label: str


def plan(
    objects: Objects, entries: Sequence[Mapping[str, Any]], dest_root: Path
) -> tuple[list[_Target], dict[str, set[str]]]:
    """The files to write (and, per directory entry, the relative paths it holds)."""
    checked = [entry_fields(e) for e in entries]
    for path, _, kind in checked:
        _check_no_symlinked_dirs(dest_root, path.split("/"), path, kind == "dir")
    manifests = {digest: f"manifest of {path}" for path, digest, kind in checked if kind == "dir"}
    try:
        objects.ensure(manifests)
    except MissingObjects as exc:  # name the missing files of file entries too
        files = {digest: path for path, digest, kind in checked if kind == "file"}
        raise MissingObjects({**exc.missing, **objects.missing(files)}, exc.places) from None
    targets: list[_Target] = []
    dirs: dict[str, set[str]] = {}
    for entry, (path, digest, kind) in zip(entries, checked, strict=True):
        if kind == "file":
            size = entry.get("size")
            targets.append(_Target(path, digest, size if isinstance(size, int) else None, path))
            continue
        rows = manifest_rows(objects.read_bytes(digest, f"manifest of {path}"), path)
        dirs[path] = set()
        for fdigest, size, rel in rows:
            parts = rel.split("/")
            _check_no_symlinked_dirs(dest_root / path, parts, f"{path}/{rel}", False)
            dirs[path].add(rel)
            targets.append(_Target(f"{path}/{rel}", fdigest, size, f"{path}/{rel}"))
    return targets, dirs


def _unchanged(dest: Path, target: _Target, cache: HashCache) -> bool:
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{target.label}: is a directory here; the run recorded a file")
    if not stat.S_ISREG(st.st_mode) or (target.size is not None and st.st_size != target.size):
        return False
    return cache.hash(dest, st) == target.digest


def _prune(dest_dir: Path, keep: set[str], rel: str = "") -> int:
    """Remove files under a restored directory that its manifest does not list, and the
    directories that this leaves empty. Returns how many files were removed."""
    removed = 0
    try:
        it = list(os.scandir(dest_dir / rel if rel else dest_dir))
    except FileNotFoundError:
        return removed
    for entry in it:
        name = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name == ".git":
                continue
            inner = _prune(dest_dir, keep, name)
            removed += inner
            if inner:
                with contextlib.suppress(OSError):  # not empty: something else is kept there
                    os.rmdir(entry.path)
        elif name not in keep:
            os.unlink(entry.path)
            removed += 1
    return removed


def keep_local_changes(repo: Repo, entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Put the current content of paths a restore is about to overwrite in the local cache,
    so a restore never loses bytes: ``path -> hash`` of what was there."""
    from gitops_ml.core.hashing import hash_path

    cache = HashCache.for_repo(repo.state_dir)
    store = LocalStore(repo.state_dir)
    kept = {}
    for entry in entries:
        path = str(entry["path"])
        if not (repo.top / path).exists():
            continue
        now = hash_path(repo.top, path, cache)
        if now.hash != entry["hash"]:
            store.put_entry(repo.top, now)
            kept[path] = now.hash
    cache.save()
    return kept


def restore_entries(
    repo: Repo,
    cfg: Config,
    entries: Sequence[Mapping[str, Any]],
    dest_root: Path,
    *,
    progress: bool = True,
    remote: RemoteStore | bool | None = True,
) -> list[str]:
    """Write recorded data/outputs entries under ``dest_root`` exactly as recorded.

    Each entry is a record item ``{path, hash, kind, ...}``: a file is one object; a
    directory is its manifest object plus one object per file, and afterwards holds
    exactly the manifest's files. Objects come from the local cache, else from the remote
    configured in ``cfg`` (``remote=False``: the cache only; or pass a
    :class:`RemoteStore`), and are verified before use. Nothing under ``dest_root`` changes
    unless every object was found and verified. Returns the paths written (relative to
    ``dest_root``), unchanged files left out.

    Raises :class:`MissingObjects` / :class:`~gitops_ml.data.cache.CorruptObject` (exit 3), or a usage error
    (exit 2) for a path that would leave ``dest_root``.
    """
    store = remote_store(cfg, repo.top) if remote is True else (remote or None)
    objects = Objects(repo, LocalStore(repo.state_dir), store, progress)
    dest_root = Path(dest_root)
    targets, dirs = plan(objects, entries, dest_root)
    cache = HashCache.for_repo(repo.state_dir)
    todo = [t for t in targets if not _unchanged(dest_root / t.rel, t, cache)]
    objects.ensure({t.digest: t.label for t in todo}, {t.digest: t.size or 0 for t in todo})
    dest_root.mkdir(parents=True, exist_ok=True)
    root_real = os.path.realpath(dest_root)
    staged: list[tuple[Path, Path]] = []
    try:
        for t in todo:
            dest = _destination(dest_root, root_real, t, dirs)
            tmp = temp_name(dest)
            staged.append((tmp, dest))
            objects.copy_to(t.digest, t.label, tmp, _mode_for(dest))
        for tmp, dest in staged:
            os.replace(tmp, dest)
        staged = []
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    cache.save()
    for path, keep in dirs.items():
        _prune(dest_root / path, keep)
    return [t.rel for t in todo]


def _destination(dest_root: Path, root_real: str, t: _Target, dirs: Mapping[str, Any]) -> Path:
    """Where a target goes, its parent made; refused when that would leave ``dest_root``
    or when a file stands where the run had a directory."""
    dest = dest_root / t.rel
    for d in dirs:  # a file where the run had a directory
        if t.rel.startswith(d + "/") and (dest_root / d).is_file():
            raise UsageError(f"{d}: is a file here; the run recorded a directory")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"{t.label}: a parent directory is a file here; cannot restore") from None
    if not _inside(root_real, dest.parent):
        raise UsageError(f"{t.label}: refusing path: it resolves outside {dest_root}")
    return dest


def _mode_for(dest: Path) -> int:
    """The mode a restored file gets: that of the file it replaces, else the umask's."""
    try:
        existing = os.lstat(dest)
    except FileNotFoundError:
        return file_mode()
    return file_mode(existing.st_mode if stat.S_ISREG(existing.st_mode) else None)
