"""The data remote (any fsspec URL) and restoring recorded data from it, verified.

Layout, the same in the local cache and in the remote: ``<store>/<h[:2]>/<h[2:]>``, where
``h`` is the BLAKE3 of the object's bytes. A directory is stored as its manifest (one line
``<hash> <size> <relative path>`` per file, see :mod:`gitops_ml.core.hashing`) plus one object
per file.

Guarantees of :func:`restore_entries`:

- every object's bytes are hashed before use; a corrupt object is never written into the
  destination, and is never left in the local cache (it is moved to
  ``.git/gitops-ml/corrupt/``);
- a path in a record or a manifest that would leave the destination (absolute, ``..``,
  ``.git``, through a symlinked directory) is refused before anything is written;
- missing objects are reported all at once, with every place looked;
- files are staged next to their destination and renamed into place only when every
  object of the restore was found and verified.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import sys
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gitops_ml.core.errors import ENVIRONMENT, EnvironmentProblem, GitopsError, UsageError
from gitops_ml.core.hashing import HashCache, hash_bytes, hash_file, manifest_lines
from gitops_ml.data.cache import LocalStore

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from gitops_ml.core.config import Config
    from gitops_ml.core.gitstore import Repo
    from gitops_ml.ui.progress import Transfer

HASH_RE = re.compile(r"^[0-9a-f]{64}$")
# Object stores where one put is atomic: no temp name + rename needed.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory", "oss"}
# Above this many objects, one listing of the store is cheaper than one request each.
_LIST_THRESHOLD = 64
_WORKERS = 8
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


class CorruptData(GitopsError):
    """An object whose bytes do not hash to its name (exit 3); its bytes were not used."""

    def __init__(self, digest: str, label: str, where: str, got: str, note: str = "") -> None:
        self.digest = digest
        self.where = where
        super().__init__(
            f"object {digest} ({label}) in {where} is corrupt: its bytes hash to {got}; "
            f"not used{note}",
            ENVIRONMENT,
        )


# ---------------------------------------------------------------- the remote


class RemoteStore:
    """A content-addressed store on any fsspec filesystem (a directory, S3, GCS, ...)."""

    def __init__(self, url: str, fs: Any, root: str, *, atomic_put: bool) -> None:
        self.url = url  # for messages
        self.fs = fs
        self.root = root.rstrip("/")
        self.atomic_put = atomic_put

    def key(self, digest: str) -> str:
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def where(self, digest: str) -> str:
        """The object's URL, for messages."""
        return f"{self.url.rstrip('/')}/{digest[:2]}/{digest[2:]}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except GitopsError:
            raise
        except (FileNotFoundError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise self.unreachable(exc) from None

    def unreachable(self, exc: BaseException) -> EnvironmentProblem:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return EnvironmentProblem(f"data store {self.url} is unreachable or refused: {why}")

    def existing(self, digests: Collection[str]) -> set[str]:
        """Which of ``digests`` the store has (one request each, or one listing for many)."""
        wanted = set(digests)
        if not wanted:
            return set()
        if len(wanted) > _LIST_THRESHOLD and self.atomic_put:
            return wanted & self.listing()

        def probe(digest: str) -> str | None:
            with self._errors():
                try:
                    return digest if self.fs.exists(self.key(digest)) else None
                except FileNotFoundError:
                    return None

        if not self.atomic_put:  # a filesystem: a stat is cheap
            return {d for d in wanted if probe(d)}
        with ThreadPoolExecutor(_WORKERS) as pool:
            return {d for d in pool.map(probe, sorted(wanted)) if d}

    def listing(self) -> set[str]:
        """Every object name in the store (one paginated listing on object stores)."""
        with self._errors():
            with contextlib.suppress(AttributeError):
                self.fs.invalidate_cache(self.root)
            try:
                paths = self.fs.find(self.root)
            except FileNotFoundError:
                return set()
        found = set()
        prefix = self.root + "/"
        for path in paths:
            rel = str(path)[len(prefix) :] if str(path).startswith(prefix) else str(path)
            parts = rel.split("/")
            if len(parts) == 2 and len(parts[0]) == 2 and HASH_RE.match(parts[0] + parts[1]):
                found.add(parts[0] + parts[1])
        return found

    def download(self, digest: str, dest: Path, bar: Transfer | None = None) -> bool:
        """Copy the object to ``dest`` (unverified); False when the store lacks it."""
        callback = _callback(bar)
        with self._errors():
            try:
                self.fs.get_file(self.key(digest), str(dest), callback=callback)
            except FileNotFoundError:
                return False
        if bar is not None:
            bar.advance(max(0, dest.stat().st_size - callback.reported))
        return True

    def upload(self, src: Path, digest: str, bar: Transfer | None = None) -> None:
        """Copy a local object in under ``digest``: one put on object stores, else a temp
        name renamed into place, so a reader never sees half an object."""
        key = self.key(digest)
        callback = _callback(bar)
        with self._errors():
            if self.atomic_put:
                self.fs.put_file(str(src), key, callback=callback)
            else:
                parent = key.rsplit("/", 1)[0]
                self.fs.makedirs(parent, exist_ok=True)
                tmp = f"{parent}/.{digest[2:]}.{uuid.uuid4().hex}.tmp"
                try:
                    self.fs.put_file(str(src), tmp, callback=callback)
                    self.fs.mv(tmp, key)
                except BaseException:
                    with contextlib.suppress(Exception):
                        self.fs.rm_file(tmp)
                    raise
        if bar is not None:
            bar.advance(max(0, src.stat().st_size - callback.reported))


def _callback(bar: Transfer | None) -> Any:
    """An fsspec callback that forwards byte counts to the progress bar."""
    from fsspec.callbacks import Callback

    class _Forward(Callback):  # type: ignore[misc]
        reported = 0

        def relative_update(self, inc: int = 1) -> None:
            if bar is not None and inc > 0:
                bar.advance(inc)
                self.reported += inc

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.reported)

    return _Forward()


def open_remote(url: str, top: Path) -> RemoteStore:
    """A :class:`RemoteStore` for ``url``: a path (relative to ``top``) or an fsspec URL.

    S3-compatible endpoints: ``AWS_ENDPOINT_URL`` (read by botocore) or fsspec's own
    ``FSSPEC_S3_ENDPOINT_URL`` / ``FSSPEC_S3`` (JSON of S3FileSystem options, e.g.
    ``{"client_kwargs": {"endpoint_url": "..."}}``); credentials as for any AWS client.
    """
    if "://" not in url and not url.startswith("file:"):
        path = Path(url).expanduser()
        if not path.is_absolute():
            path = Path(os.path.normpath(top / path))
        from fsspec.implementations.local import LocalFileSystem

        return RemoteStore(str(path), LocalFileSystem(), path.as_posix(), atomic_put=False)
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True)
    except ImportError as exc:
        extra = " (pip install 'gitops-ml[s3]')" if url.startswith(("s3://", "s3a://")) else ""
        raise EnvironmentProblem(f"data store {url}: {exc}{extra}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"gitops-ml.yaml: store {url!r}: {exc}") from None
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return RemoteStore(url, fs, str(root), atomic_put=protocol in _ATOMIC_PUT)


def remote_store(cfg: Config, top: Path | None = None) -> RemoteStore | None:
    """The remote configured under ``store:`` in gitops-ml.yaml, or None.

    A relative path is relative to the repository root (the directory of gitops-ml.yaml,
    or ``top`` when given).
    """
    if not cfg.store:
        return None
    if top is None:
        top = cfg.path.parent if cfg.path is not None else Path.cwd()
    return open_remote(cfg.store, top)


# ---------------------------------------------------------------- paths


def check_rel(rel: str, what: str) -> list[str]:
    """The parts of a relative POSIX path, or a usage error when it could escape."""
    why = None
    if not isinstance(rel, str) or not rel:
        why = "empty"
    elif rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
        why = "absolute"
    elif any(c in rel for c in "\0\n\r"):
        why = "control characters"
    else:
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            why = "'..', '.' or empty components"
        elif any(p.lower() == ".git" for p in parts):
            why = "inside .git"
        elif os.sep != "/" and any(os.sep in p or "/" in p for p in parts):
            why = "backslash"
        else:
            return parts
    raise UsageError(f"{what}: refusing path {rel!r}: {why} (it must stay inside the repository)")


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


# ---------------------------------------------------------------- objects


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
        from gitops_ml.ui.progress import Transfer

        with (
            Transfer(f"pull {len(need)} object(s)", total, self.progress) as bar,
            ThreadPoolExecutor(_WORKERS) as pool,
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
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.download")
        try:
            if not self.remote.download(digest, tmp, bar):
                raise MissingObjects({digest: label}, self.places())
            got = hash_file(tmp)
            if got != digest:
                raise CorruptData(digest, label, self.remote.where(digest), got)
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def quarantine(self, digest: str) -> Path:
        """Move a corrupt local object out of the cache (kept for inspection)."""
        return self.local.quarantine(digest)

    def _recover(self, digest: str, label: str, got: str) -> None:
        """The local copy is corrupt: move it aside, fetch a good one or raise."""
        where = str(self.local.path(digest))
        q = self.quarantine(digest)
        if self.remote is None or not self.remote.existing([digest]):
            lacks = "no 'store' is configured" if self.remote is None else "the store has no copy"
            raise CorruptData(digest, label, where, got, f"; moved to {q}; {lacks}")
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
                raise CorruptData(digest, label, str(self.local.path(digest)), got)
        return data

    def copy_to(self, digest: str, label: str, tmp: Path) -> None:
        """Copy an object to ``tmp`` and verify the copied bytes."""
        for attempt in range(2):
            shutil.copyfile(self.local.path(digest), tmp)
            got = hash_file(tmp)
            if got == digest:
                os.chmod(tmp, 0o644)
                return
            tmp.unlink(missing_ok=True)
            if attempt == 0:
                self._recover(digest, label, got)
            else:  # pragma: no cover - changed under us
                raise CorruptData(digest, label, str(self.local.path(digest)), got)


# ---------------------------------------------------------------- restore


@dataclass
class _Target:
    rel: str  # relative to dest_root
    digest: str
    size: int | None
    label: str


def _entry_fields(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    path, digest, kind = entry.get("path"), entry.get("hash"), entry.get("kind", "file")
    what = f"record entry {path!r}"
    if not isinstance(digest, str) or not HASH_RE.match(digest):
        raise UsageError(f"{what}: {digest!r} is not a content hash")
    if kind not in ("file", "dir"):
        raise UsageError(f"{what}: unknown kind {kind!r}")
    check_rel(str(path), "record entry")
    return str(path), digest, str(kind)


def _manifest_rows(data: bytes, entry_path: str) -> list[tuple[str, int, str]]:
    try:
        rows = manifest_lines(data)
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{entry_path}: directory manifest is malformed") from None
    for digest, _, rel in rows:
        if not HASH_RE.match(digest):
            raise UsageError(f"{entry_path}: directory manifest names {digest!r}, not a hash")
        check_rel(rel, f"manifest of {entry_path}")
    return rows


def plan(
    objects: Objects, entries: Sequence[Mapping[str, Any]], dest_root: Path
) -> tuple[list[_Target], dict[str, set[str]]]:
    """The files to write (and, per directory entry, the relative paths it holds)."""
    checked = [_entry_fields(e) for e in entries]
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
        rows = _manifest_rows(objects.read_bytes(digest, f"manifest of {path}"), path)
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


def _prune(dest_dir: Path, keep: set[str], rel: str = "") -> list[str]:
    """Remove files under a restored directory that its manifest does not list."""
    removed: list[str] = []
    try:
        it = list(os.scandir(dest_dir / rel if rel else dest_dir))
    except FileNotFoundError:
        return removed
    for entry in it:
        name = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name != ".git":
                removed += _prune(dest_dir, keep, name)
        elif name not in keep:
            os.unlink(entry.path)
            removed.append(name)
    return removed


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

    Raises :class:`MissingObjects` / :class:`CorruptData` (exit 3), or a usage error
    (exit 2) for a path that would leave ``dest_root``.
    """
    store: RemoteStore | None
    if remote is True:
        store = remote_store(cfg, repo.top)
    elif remote is False:
        store = None
    else:
        store = remote
    objects = Objects(repo, LocalStore(repo.state_dir), store, progress)
    dest_root = Path(dest_root)
    targets, dirs = plan(objects, entries, dest_root)
    cache = HashCache(repo.state_dir / "hashcache.json")
    todo = [t for t in targets if not _unchanged(dest_root / t.rel, t, cache)]
    objects.ensure({t.digest: t.label for t in todo}, {t.digest: t.size or 0 for t in todo})
    dest_root.mkdir(parents=True, exist_ok=True)
    root_real = os.path.realpath(dest_root)
    staged: list[tuple[Path, Path]] = []
    try:
        for t in todo:
            dest = dest_root / t.rel
            for d in dirs:  # a file where the run had a directory
                if t.rel.startswith(d + "/") and (dest_root / d).is_file():
                    raise UsageError(f"{d}: is a file here; the run recorded a directory")
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise UsageError(
                    f"{t.label}: a parent directory is a file here; cannot restore"
                ) from None
            if not _inside(root_real, dest.parent):
                raise UsageError(f"{t.label}: refusing path: it resolves outside {dest_root}")
            tmp = dest.with_name(f".{dest.name}.gitops-ml-{os.getpid()}.tmp")
            staged.append((tmp, dest))
            objects.copy_to(t.digest, t.label, tmp)
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


# ---------------------------------------------------------------- push


def local_objects(local: LocalStore) -> list[str]:
    """Every object in the local cache (temp files of unfinished writes left out)."""
    found = []
    try:
        subdirs = list(os.scandir(local.root))
    except FileNotFoundError:
        return []
    for sub in subdirs:
        if len(sub.name) != 2 or not sub.is_dir(follow_symlinks=False):
            continue
        for obj in os.scandir(sub.path):
            digest = sub.name + obj.name
            if HASH_RE.match(digest):
                found.append(digest)
    return sorted(found)


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
        path, digest, kind = _entry_fields(entry)
        wanted.setdefault(digest, path if kind == "file" else f"manifest of {path}")
        if kind != "dir":
            continue
        manifests.add(digest)
        if not objects.local.has(digest):
            continue
        data = objects.local.read_bytes(digest)
        for fdigest, _, rel in _manifest_rows(data, path):
            wanted.setdefault(fdigest, f"{path}/{rel}")
    return wanted, manifests


@dataclass
class PushResult:
    pushed: int
    bytes: int
    present: int


def push(
    objects: Objects,
    wanted: Mapping[str, str],
    manifests: Collection[str],
    *,
    progress: bool = True,
) -> PushResult:
    """Upload the objects of ``wanted`` the store lacks, each verified first.

    Files go before manifests, so a manifest in the store means its files are there.
    Objects absent from the local cache must already be in the store, else
    :class:`MissingObjects`; a corrupt local object is moved out of the cache and
    reported (:class:`CorruptData`) after the others are pushed.
    """
    remote = objects.remote
    assert remote is not None
    there = remote.existing(wanted)
    todo = [d for d in wanted if d not in there]
    absent = {d: wanted[d] for d in todo if not objects.local.has(d)}
    if absent:
        raise MissingObjects(absent, objects.places())
    sizes = {d: objects.local.path(d).stat().st_size for d in todo}
    total = sum(sizes.values())
    waves = [[d for d in todo if d not in manifests], [d for d in todo if d in manifests]]
    from gitops_ml.ui.progress import Transfer

    corrupt: list[CorruptData] = []

    def send(digest: str, bar: Transfer) -> None:
        src = objects.local.path(digest)
        got = hash_file(src)
        if got != digest:
            q = objects.quarantine(digest)
            corrupt.append(
                CorruptData(digest, wanted[digest], str(src), got, f", not pushed; moved to {q}")
            )
            bar.advance(sizes[digest])
            return
        remote.upload(src, digest, bar)

    with Transfer(f"push {len(todo)} object(s)", total, progress) as bar:
        for wave in waves:
            if wave is waves[1] and corrupt:
                break  # a manifest must not go up without all of its files
            with ThreadPoolExecutor(_WORKERS) as pool:
                for fut in [pool.submit(send, d, bar) for d in wave]:
                    fut.result()
    if corrupt:
        raise corrupt[0]
    return PushResult(len(todo), total, len(there))
