"""Content hashes of data and outputs: BLAKE3, with a stat cache so unchanged files are not re-read.

A file's hash is the BLAKE3 of its bytes. A directory's hash is the BLAKE3 of its
manifest (:mod:`gitops_ml.core.manifest`): one line ``<hash> <size> <relative path>`` per
file, sorted by path; the manifest is kept in the content store so a directory can be
restored file by file.

Only regular files and directories are data. Inside a data directory a symlink to a file
within the declared directory or the repository is followed (its content is recorded);
a symlink that leads out of both, a symlinked directory, a FIFO, a socket or a device is
refused with a message naming it: nothing outside the repository is read without the
user declaring it.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import stat
import time
from array import array
from collections.abc import Callable
from pathlib import Path

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.core.statindex import StatIndex

_MMAP_THRESHOLD = 4 * 1024 * 1024
_RACY_SECONDS = 2.0
_RACY_FINE_SECONDS = 0.1


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


class DataEntry:
    """What a run records about one declared data path or output.

    A directory's ``manifest`` may be computed only when first read (``load``): a
    directory found unchanged by its stat fingerprint does not build it.
    """

    __slots__ = ("_load", "_manifest", "files", "hash", "kind", "path", "size")

    def __init__(
        self,
        path: str,
        hash: str,
        size: int,
        files: int,
        kind: str,
        *,
        manifest: bytes | None = None,
        load: Callable[[], bytes] | None = None,
    ) -> None:
        self.path = path
        self.hash = hash
        self.size = size
        self.files = files
        self.kind = kind  # "file" or "dir"
        self._manifest = manifest
        self._load = load

    @property
    def manifest(self) -> bytes | None:
        if self._manifest is None and self._load is not None:
            self._manifest = self._load()
        return self._manifest

    def record(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "hash": self.hash,
            "size": self.size,
            "files": self.files,
            "kind": self.kind,
        }


class HashCache:
    """Stat cache: ``path -> (size, mtime_ns, inode, hash, ctime_ns)`` in ``.git/gitops-ml``.

    Derived state (``marshal``, read in a few ms even for 100,000 files): deleting the
    file only costs a re-read. A hit needs size, mtime, inode and ctime unchanged (ctime
    catches in-place rewrites that restore the mtime, which users cannot set). An entry is
    not stored while it is racy: when the file's mtime is within the filesystem's
    timestamp granularity of the moment it was hashed (a write in the same clock tick
    would leave the stat unchanged). That window is 2 s on filesystems with whole-second
    timestamps, and ``_RACY_FINE_SECONDS`` where timestamps have sub-second precision, so
    a second ``data status`` right after the first is cheap.
    """

    FILENAME = "hashcache.bin"

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._loaded: dict[str, tuple[int, int, int, str, int]] | None = None
        self._dirty = False
        self._used: set[str] = set()
        # Per directory: the fingerprint of every file's (name, stat) -> its entry, in a
        # small file of its own, so an unchanged directory does not load the file cache.
        self._dirs_path = path.with_name(path.stem + "-dirs.bin") if path is not None else None
        self._dirs: dict[str, tuple[str, str, int, int]] | None = None
        self._dirs_dirty = False

    @staticmethod
    def _read(path: Path | None) -> dict[Any, Any]:
        if path is None:
            return {}
        try:
            with open(path, "rb") as fh:
                loaded = marshal.load(fh)
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    @property
    def _entries(self) -> dict[str, tuple[int, int, int, str, int]]:
        if self._loaded is None:
            self._loaded = self._read(self.path)
        return self._loaded

    def dir_hit(self, full: str, fingerprint: str) -> tuple[str, int, int] | None:
        """``(manifest hash, size, files)`` of a directory whose files' names and stats
        fingerprint as they did when it was last hashed, else None."""
        if self._dirs is None:
            self._dirs = self._read(self._dirs_path)
        hit = self._dirs.get(full)
        if hit is None or hit[0] != fingerprint:
            return None
        return hit[1], hit[2], hit[3]

    def put_dir(self, full: str, fingerprint: str, entry: DataEntry) -> None:
        """Remember a directory's entry under its fingerprint (only when no file is racy)."""
        if self._dirs is None:
            self._dirs = self._read(self._dirs_path)
        self._dirs[full] = (fingerprint, entry.hash, entry.size, entry.files)
        self._dirs_dirty = True

    @classmethod
    def for_repo(cls, state_dir: Path) -> HashCache:
        """The repository's cache (``.git/gitops-ml/hashcache.bin``)."""
        return cls(state_dir / cls.FILENAME)

    def hash(self, full: str | os.PathLike[str], st: os.stat_result) -> str:
        key = os.fspath(full)
        self._used.add(key)
        hit = self._entries.get(key)
        if (
            hit is not None
            and hit[0] == st.st_size
            and hit[1] == st.st_mtime_ns
            and hit[2] == st.st_ino
            and hit[4] == st.st_ctime_ns
        ):
            return hit[3]
        digest = hash_file(full, st.st_size)
        try:
            after = os.stat(full)
        except OSError:
            return digest
        unchanged = (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
        )
        fine = st.st_mtime_ns % 1_000_000_000 != 0
        window = _RACY_FINE_SECONDS if fine else _RACY_SECONDS
        if unchanged and time.time() - st.st_mtime_ns / 1e9 > window:
            self._entries[key] = (st.st_size, st.st_mtime_ns, st.st_ino, digest, st.st_ctime_ns)
            self._dirty = True
        return digest

    def save(self) -> None:
        """Write the cache (only when it changed), dropping entries of vanished files."""
        if self._dirs_dirty and self._dirs_path is not None and self._dirs is not None:
            dirs = {k: v for k, v in self._dirs.items() if os.path.isdir(k)}
            if _write(self._dirs_path, dirs):
                self._dirs_dirty = False
        if self.path is None or not self._dirty:
            return
        for key in [k for k in self._entries if k not in self._used]:
            if not os.path.lexists(key):
                del self._entries[key]
        if _write(self.path, self._entries):
            self._dirty = False
            with contextlib.suppress(OSError):  # the JSON cache of gitops-ml 0.1
                os.unlink(self.path.with_name("hashcache.json"))


def _write(path: Path, value: dict[Any, Any]) -> bool:
    """Replace ``path`` with ``value`` marshalled (derived state: no fsync)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, durable=False) as tmp, open(tmp, "wb") as fh:
            marshal.dump(value, fh)
    except OSError:
        return False
    return True


def _refuse(where: str, why: str) -> UsageError:
    shown = where if where.isprintable() else repr(where)
    return UsageError(f"{shown}: {why}; only regular files and directories are recorded as data")


def _kind(st: os.stat_result) -> str:
    mode = st.st_mode
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _inside(real: str, roots: tuple[str, ...]) -> bool:
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


class _Walk:
    """Every file under a directory, in walk order (unsorted; the lists are parallel).

    Names are ``str`` (undecodable bytes surrogate-escaped, as ``os`` gives them). No
    per-file tuple or ``Path``: at 10,000 files every allocation shows. ``folders``:
    ``(relative folder, mtime_ns, ctime_ns, inode)`` of each folder below the top one;
    ``links``: whether a symlink was followed.
    """

    __slots__ = ("folders", "links", "names", "paths", "stats")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.paths: list[str] = []
        self.stats: list[os.stat_result] = []
        self.folders: list[tuple[str, int, int, int]] = []
        self.links = False


def _walk(top: str, shown: str, roots: tuple[str, ...]) -> _Walk:
    """Every file under ``top`` (see :class:`_Walk`); special files are refused."""
    found = _Walk()
    names, paths, stats = found.names, found.paths, found.stats
    stack = [(top, "")]
    while stack:
        where, rel = stack.pop()
        with os.scandir(where) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        sub = rel + entry.name
                        st = entry.stat(follow_symlinks=False)
                        found.folders.append((sub, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
                        stack.append((entry.path, sub + "/"))
                    continue
                name = rel + entry.name
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                elif entry.is_symlink():
                    st = _link(entry.path, f"{shown}/{name}", roots)
                    found.links = True
                else:
                    st = entry.stat(follow_symlinks=False)
                    raise _refuse(f"{shown}/{name}", f"is {_kind(st)}")
                names.append(name)
                paths.append(entry.path)
                stats.append(st)
    return found


def _stamps(stats: list[os.stat_result]) -> list[int]:
    """``size, mtime_ns, inode, ctime_ns`` of every file, flat (4 ints per file)."""
    ints: list[int] = []
    for st in stats:
        ints += (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    return ints


def _fingerprint(names: list[str], ints: list[int]) -> str:
    """BLAKE3 of every file's name and stamps, in walk order.

    Unambiguous: the count first, names NUL-separated (no file name holds a NUL), then
    the stamps as fixed-width 64-bit integers (``marshal`` when one does not fit). A
    different walk order only makes a miss, never a false hit.
    """
    head = f"{len(names)}\0".encode() + "\0".join(names).encode("utf-8", "surrogateescape")
    try:
        tail = b"q" + array("q", ints).tobytes()
    except OverflowError:  # an inode number or size beyond 2**63
        tail = b"m" + marshal.dumps(ints)
    return hash_bytes(head + b"\0" + tail)


def _link(full: str, shown: str, roots: tuple[str, ...]) -> os.stat_result:
    """The stat of the file a symlink inside a data directory points to, or a refusal."""
    real = os.path.realpath(full)
    target = os.readlink(full)
    if not _inside(real, roots):
        raise _refuse(
            shown,
            f"is a symlink to {target!r}, outside the repository and the declared data: not "
            "followed (copy the file in, or declare its real location)",
        )
    try:
        st = os.stat(full)
    except OSError:
        raise _refuse(shown, f"is a broken symlink (to {target!r})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(
            shown,
            f"is a symlink to the directory {target!r}: not followed (declare that directory "
            "itself as data, or replace the link with the directory)",
        )
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(shown, f"is a symlink to {_kind(st)}")
    return st


def hash_path(
    top: Path, rel: str, cache: HashCache, stat_index: StatIndex | None = None
) -> DataEntry:
    """Hash a declared data path (file or directory) relative to ``top``.

    The declared path itself may be a symlink (the user named it); see the module
    docstring for links and special files inside a directory. With ``stat_index`` (the
    repository's, ``top`` its work tree), a big directory is first asked of git's stat
    pass (:mod:`gitops_ml.core.statindex`) and walked only when that is not a clear hit.
    """
    full = os.path.join(top, rel)
    try:
        st = os.stat(full)
    except FileNotFoundError:
        raise UsageError(f"{rel}: declared in gitops-ml.yaml but missing") from None
    except OSError as exc:
        raise UsageError(f"{rel}: cannot read: {exc.strerror}") from None
    if stat.S_ISREG(st.st_mode):
        return DataEntry(rel, cache.hash(full, st), st.st_size, 1, "file")
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(rel, f"is {_kind(st)}")
    roots = (os.path.realpath(top), os.path.realpath(full))
    if stat_index is not None:
        known = stat_index.lookup(rel, full)
        if known is not None:

            def walked() -> bytes:
                return _hash_dir(full, rel, roots, cache, None)[1].manifest or b""

            return DataEntry(rel, known[0], known[1], known[2], "dir", load=walked)
    return _hash_dir(full, rel, roots, cache, stat_index)[1]


def _hash_dir(
    full: str, rel: str, roots: tuple[str, ...], cache: HashCache, stat_index: StatIndex | None
) -> tuple[_Walk, DataEntry]:
    """Walk a directory and hash it (its fingerprint first: see :class:`HashCache`)."""
    from gitops_ml.core.manifest import encode

    collecting = gc.isenabled()
    gc.disable()  # 10,000 stat results would set off collections that find nothing
    try:
        found = _walk(full, rel, roots)
    finally:
        if collecting:
            gc.enable()
    names, paths, stats = found.names, found.paths, found.stats
    ints = _stamps(stats)
    fingerprint = _fingerprint(names, ints)

    def manifest() -> bytes:
        digest = cache.hash
        order = sorted(range(len(names)), key=names.__getitem__)
        return encode([(digest(paths[i], stats[i]), stats[i].st_size, names[i]) for i in order])

    hit = cache.dir_hit(full, fingerprint)
    if hit is not None:
        entry = DataEntry(rel, hit[0], hit[1], hit[2], "dir", load=manifest)
    else:
        data = manifest()
        entry = DataEntry(rel, hash_bytes(data), sum(ints[0::4]), len(names), "dir", manifest=data)
        newest = max(max(ints[1::4], default=0), max(ints[3::4], default=0))
        fine = any(t % 1_000_000_000 for t in ints[1::4])
        if time.time() - newest / 1e9 > (_RACY_FINE_SECONDS if fine else _RACY_SECONDS):
            cache.put_dir(full, fingerprint, entry)
    if stat_index is not None:
        if found.links:
            stat_index.forget(full)
        else:
            top = os.lstat(full)
            folders = [("", top.st_mtime_ns, top.st_ctime_ns, top.st_ino), *found.folders]
            if stat.S_ISDIR(top.st_mode):
                triple = (entry.hash, entry.size, entry.files)
                stat_index.record(
                    rel, full, names=names, stats=stats, folders=folders, entry=triple
                )
    return found, entry


def manifest_lines(manifest: bytes) -> list[tuple[str, int, str]]:
    """Parse a directory manifest into ``(hash, size, relative path)`` rows."""
    from gitops_ml.core.manifest import decode

    return decode(manifest)
