"""What a run's command produced: its metrics files and outputs, hashed into the store.

A metrics file or output the command left unchanged is an earlier run's: it is not
recorded as this one's (compared by size, mtime and inode, taken before the command).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from gitops_ml.core.hashing import HashCache, hash_path
from gitops_ml.data.cache import LocalStore
from gitops_ml.runs.console import warn

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_SEED = ("seed", "random_state")


def signature(path: Path) -> object:
    """``(size, mtime, inode)`` of a file, of every file under a directory; None if absent."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_dir():
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    sig = []
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            try:
                fst = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            sig.append((dirpath, name, fst.st_size, fst.st_mtime_ns, fst.st_ino))
    return sorted(sig)


class Produced:
    """The metrics files and outputs under ``root`` as they were before the command."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root
        self.before = {rel: signature(root / rel) for rel in paths}

    def fresh(self, paths: Iterable[str]) -> list[str]:
        """The paths the command wrote (a warning names each one it left as it was)."""
        out = []
        for rel in paths:
            now = signature(self.root / rel)
            if now is not None and now == self.before.get(rel):
                warn(f"{rel} was not written by this run (it is left from before); not recorded")
                continue
            out.append(rel)
        return out

    def outputs(
        self, paths: Iterable[str], cache: HashCache, store: LocalStore
    ) -> list[dict[str, Any]]:
        """Hash the outputs the command wrote into the store; their records."""
        outs = []
        for rel in self.fresh(paths):
            if not (self.root / rel).exists():
                continue
            entry = hash_path(self.root, rel, cache)
            store.put_entry(self.root, entry)
            outs.append(entry.record())
        return outs


def seeds(
    params: Mapping[str, Any], logged: Mapping[str, Any], hashseed: str | None
) -> dict[str, Any]:
    """Params named like a seed, ``PYTHONHASHSEED`` when set, and seeds the API logged."""
    found = {
        k: v for k, v in params.items() if any(s in k.rsplit(".", 1)[-1].lower() for s in _SEED)
    }
    if hashseed is not None:
        found["PYTHONHASHSEED"] = hashseed
    found.update(logged)
    return found
