"""Atomic file writes: a temporary file in the same folder, then one ``os.replace``.

A reader sees the old file or the new one, never half of either. With ``durable=True``
(the default) the bytes are ``fsync``-ed before the rename, so a crash right after cannot
leave an empty file under the final name; derived caches (deleting them loses nothing)
pass ``durable=False`` to stay off the disk's sync path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def temp_name(path: Path) -> Path:
    """A hidden, unique name beside ``path`` (the process id and 48 random bits)."""
    tag = f"{os.getpid()}.{os.urandom(6).hex()}"
    return path.with_name(f".{path.name}.{tag}.tmp")


@contextlib.contextmanager
def atomic_path(path: Path, *, mode: int | None = None, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path to fill; on success it replaces ``path`` atomically.

    For writers that need a file name (a copy, a download, a symlink). ``mode`` is applied
    before the rename (e.g. ``0o444`` for content-addressed objects). On an exception the
    temporary file is removed and ``path`` is left as it was.
    """
    tmp = temp_name(path)
    try:
        yield tmp
        if durable and not tmp.is_symlink():
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_atomic(
    path: Path,
    data: bytes | str,
    *,
    mode: int | None = None,
    durable: bool = True,
    mkdir: bool = False,
) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically: temp file, fsync, ``os.replace``.

    ``mode`` sets the permissions (e.g. ``0o755`` for a hook script, ``0o444`` for an
    object); otherwise the file gets the usual ``0o666`` less the umask. ``mkdir`` creates
    the parent folders first.
    """
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    with atomic_path(path, mode=mode, durable=False) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)  # while open: no second open as atomic_path would need
        finally:
            os.close(fd)
