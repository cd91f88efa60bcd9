"""A small data directory aged a minute, and every kind of edit the fast paths of
``data status`` (the stat cache's directory fingerprint, the private git index) must see."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def aged_tree(root: Path, files: int, *, empty_last: bool = False) -> None:
    """``files`` files ``s<i % 3>/f<i>.txt`` under ``root``, all a minute old (the last
    one empty when asked)."""
    for i in range(files):
        (root / f"s{i % 3}").mkdir(parents=True, exist_ok=True)
        text = "" if empty_last and i == files - 1 else f"{i}\n"
        (root / f"s{i % 3}" / f"f{i}.txt").write_text(text)
    old = time.time() - 60
    for p in root.rglob("*"):
        os.utime(p, (old, old))


def _rewrite_same_size(root: Path) -> None:
    """New bytes of the same size, the old mtime put back to the nanosecond: only the
    ctime tells (a stat cache keyed on size and mtime alone would miss it)."""
    f = root / "s1" / "f1.txt"
    st = f.stat()
    f.write_text("X\n")  # same size as "1\n"
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))


def _swap_in(root: Path) -> None:
    """Another file renamed over one: same size and mtime, new inode."""
    f, g = root / "s2" / "f2.txt", root / "s2" / ".swap"
    st = f.stat()
    g.write_text("Y\n")
    os.utime(g, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(g, f)


def _new_subdirectory(root: Path) -> None:
    (root / "s0" / "sub").mkdir()
    (root / "s0" / "sub" / "x").write_text("x")


CHANGES: dict[str, Callable[[Path], object]] = {
    "same size, mtime restored": _rewrite_same_size,
    "renamed over, same stat": _swap_in,
    "added": lambda root: (root / "s0" / "new.txt").write_text("new\n"),
    "deleted": lambda root: (root / "s0" / "f0.txt").unlink(),
    "renamed": lambda root: (root / "s0" / "f0.txt").rename(root / "s0" / "g0.txt"),
    "added in a new subdirectory": _new_subdirectory,
    "emptied": lambda root: (root / "s1" / "f4.txt").write_text(""),
    "made executable": lambda root: (root / "s1" / "f4.txt").chmod(0o755),
    "symlink added": lambda root: (root / "s0" / "link").symlink_to(root / "s1" / "f1.txt"),
    "FIFO added": lambda root: os.mkfifo(root / "s2" / "pipe"),
}
