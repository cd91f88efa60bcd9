"""The check behind a private git index of a data directory (:mod:`gitops_ml.core.statindex`):
whether its folders are as recorded, and the git call that compares its files' stats.

Imports nothing beyond ``os`` and ``stat``: ``data status``'s start-up path runs the same
check (:mod:`gitops_ml.data.quickstatus`).
"""

from __future__ import annotations

import os
import stat

# ``git diff-files --quiet`` over the private index: exit 0 when no file's stat differs
# from its entry (nor is any file gone), 1 otherwise. Unlike ``ls-files -m -d`` it reads
# the index with git's threaded stat pass (core.preloadIndex): ~8.5 vs ~11 ms for 10,000
# files here. Entries carry no real object id, so a stat change is always reported (never
# resolved by reading the file), as is an entry git finds racy. core.checkStat and friends
# are forced to their strict defaults and the file-system monitor off.
CHECK = (
    "-c",
    "core.checkStat=default",
    "-c",
    "core.trustctime=true",
    "-c",
    "core.fileMode=true",
    "-c",
    "core.ignoreStat=false",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.preloadIndex=true",
    "diff-files",
    "--quiet",
)

# (relative folder, mtime_ns, ctime_ns, inode) of every folder, the top one as ""
Folders = list[tuple[str, int, int, int]]


def stamp(path: str) -> list[int] | None:
    """Size, mtime, ctime and inode of ``path`` (None when it cannot be stat'ed): a file
    rewritten in place or replaced (atomically: a new inode) has another stamp."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def folders_unchanged(full: str, folders: Folders) -> bool:
    """Whether every folder is still a folder with the recorded mtime, ctime and inode."""
    for sub, mtime, ctime, ino in folders:
        st = os.lstat(os.path.join(full, sub) if sub else full)
        if (st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != (mtime, ctime, ino):
            return False
        if not stat.S_ISDIR(st.st_mode):
            return False
    return True
