"""Parsed YAML/JSON files cached by their stat, so recording a run does not import PyYAML
(10-20 ms) when ``gitops-ml.yaml`` and the params files have not changed.

Derived state in ``.git/gitops-ml/parsed.json``: deleting it costs one parse. An entry is
used only while the file's size, mtime, ctime and inode are all unchanged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gitops_ml.core.atomic import write_atomic

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_CACHES: dict[Path, ParseCache] = {}


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class ParseCache:
    """``path -> (stamp, parsed mapping)`` for one repository."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        if path is not None:
            try:
                loaded = json.loads(path.read_text())
                self._entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._entries = {}

    def get(self, full: Path, salt: str = "") -> dict[str, Any] | None:
        """The cached mapping of ``full``, if the file is unchanged since it was parsed
        (and was put with the same ``salt``: e.g. the schema it was validated against)."""
        hit = self._entries.get(str(full))
        if not hit or (hit[2] if len(hit) > 2 else "") != salt:
            return None
        try:
            if _stamp(full.stat()) != hit[0]:
                return None
        except OSError:
            return None
        data = hit[1]
        # A copy: callers change what they get (params overrides).
        return json.loads(json.dumps(data)) if isinstance(data, dict) else None

    def put(self, full: Path, st: os.stat_result, data: dict[str, Any], salt: str = "") -> None:
        """Remember a parse (only plain JSON data: anything else is parsed every time)."""
        try:
            if json.loads(json.dumps(data)) != data:
                return
        except (TypeError, ValueError):
            return
        self._entries[str(full)] = [_stamp(st), data, salt]
        self._dirty = True
        self.save()

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        try:  # derived state: no fsync
            write_atomic(
                self.path,
                json.dumps(self._entries, separators=(",", ":")),
                durable=False,
                mkdir=True,
            )
        except OSError:
            return
        self._dirty = False


def for_root(top: Path) -> ParseCache:
    """The cache of the repository whose work tree is ``top`` (a no-op cache in a linked
    worktree, whose ``.git`` is a file)."""
    cache = _CACHES.get(top)
    if cache is None:
        git_dir = top / ".git"
        where = git_dir / "gitops-ml" / "parsed.json" if git_dir.is_dir() else None
        cache = _CACHES[top] = ParseCache(where)
    return cache
