"""A stat summary of where a repository's refs live: while it is unchanged, no run ref,
note or archive moved, and what was derived from them still holds (the runs index, the
last data entries that ``data status`` reads).

Imports nothing beyond ``os`` and ``time``: ``data status``'s start-up path checks it too.
"""

from __future__ import annotations

import os
import time

# Refs changed less than this long ago are not trusted: a ref rewritten within the file
# system's timestamp granularity could leave the summary as it was.
RACY_NS = 2_000_000_000
_WHERE = (
    "packed-refs",
    "refs/runs",
    "refs/notes",
    "refs/notes/gitops-ml",
    "refs/gitops-ml",
    "reftable/tables.list",
)


def fingerprint(common_dir: str | os.PathLike[str]) -> str | None:
    """The refs' stat summary under ``common_dir``; None when too recent to trust (racy)."""
    base = os.fspath(common_dir)
    now = time.time_ns()
    parts = []
    for rel in _WHERE:
        try:
            st = os.stat(os.path.join(base, rel))
        except OSError:
            parts.append(f"{rel}:-")
            continue
        if now - st.st_mtime_ns < RACY_NS:
            return None
        parts.append(f"{rel}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)
