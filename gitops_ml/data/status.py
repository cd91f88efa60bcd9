"""Declared data now vs. as the last run recorded it (``gitops-ml data status``).

States: ``unchanged``, ``changed``, ``new`` (no run recorded it yet), ``missing``
(declared but absent). For the recorded version: whether its objects are in the local
cache and in the ``store`` remote; for a new path, whether its current content is.

Kept cheap when nothing changed (10,000 files: a stat each, one stat-cache read, no
per-file ``Path`` or validation): an unchanged directory's manifest is the one just
computed, so the recorded manifest is not read back from the cache.
"""

from __future__ import annotations

import sys

from gitops_ml.core.digests import is_blake3
from gitops_ml.core.errors import GitopsError
from gitops_ml.core.hashing import DataEntry, HashCache, hash_path, manifest_lines
from gitops_ml.core.statindex import StatIndex
from gitops_ml.data.cache import LocalStore
from gitops_ml.data.remote import remote_store

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from gitops_ml.core.config import Config
    from gitops_ml.core.gitstore import Repo


def changes(old: bytes, new: bytes | None) -> dict[str, list[str]]:
    """Files added, removed and modified between two directory manifests."""
    before = {rel: digest for digest, _, rel in manifest_lines(old)}
    after = {rel: digest for digest, _, rel in manifest_lines(new or b"")}
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "modified": sorted(r for r in set(before) & set(after) if before[r] != after[r]),
    }


def _cached(local: LocalStore, entry: DataEntry, wanted: dict[str, str]) -> bool:
    """Whether every object of an entry is in the local cache (one stat for a directory
    already seen complete)."""
    if entry.kind == "dir" and local.is_complete(entry.hash):
        return True
    complete = local.has_all(list(wanted))
    if complete and entry.kind == "dir":
        local.mark_complete(entry.hash)
    return complete


def _current_objects(entry: DataEntry) -> dict[str, str]:
    """``digest -> label`` of the objects holding the current content of a path."""
    if entry.kind == "file":
        return {entry.hash: entry.path}
    assert entry.manifest is not None
    wanted = {entry.hash: f"manifest of {entry.path}"}
    for digest, _, rel in manifest_lines(entry.manifest):
        wanted.setdefault(digest, f"{entry.path}/{rel}")
    return wanted


class _Status:
    """What one ``collect`` call shares between rows."""

    def __init__(self, repo: Repo, cfg: Config) -> None:
        self.repo = repo
        self.cache = HashCache.for_repo(repo.state_dir)
        self.remote = remote_store(cfg, repo.top)
        self.local = LocalStore(repo.state_dir)
        self.stat_index = StatIndex(repo.top, repo.state_dir, repo.object_format)
        self.need: dict[str, set[str]] = {}

    def row(self, rel: str, found: tuple[str, dict[str, Any]] | None) -> dict[str, Any]:
        """The row of one declared path; ``found``: the last run that recorded it."""
        row: dict[str, Any] = {"path": rel, "hash": None, "kind": None, "recorded": None}
        top = self.repo.top
        current = hash_path(top, rel, self.cache, self.stat_index) if (top / rel).exists() else None
        if current is not None:
            row.update(hash=current.hash, kind=current.kind, size=current.size, files=current.files)
        if found is None:
            row["state"] = "missing" if current is None else "new"
            if current is not None:
                wanted = _current_objects(current)
                self.need[rel] = set(wanted)
                row["cached"] = _cached(self.local, current, wanted)
            return row
        run_id, entry = found
        row["recorded"] = {"run": run_id, "hash": entry.get("hash")}
        if current is None:
            row["state"] = "missing"
        else:
            row["state"] = "unchanged" if current.hash == entry.get("hash") else "changed"
        if row["state"] == "unchanged" and current is not None and is_blake3(current.hash):
            self._unchanged(row, current)
        else:
            self._recorded(row, entry, current)
        return row

    def _unchanged(self, row: dict[str, Any], current: DataEntry) -> None:
        """The recorded manifest is the one just computed: it is not read back."""
        if self.remote is None and current.kind == "dir" and self.local.is_complete(current.hash):
            row["cached"] = True
            return
        wanted = _current_objects(current)
        row["cached"] = _cached(self.local, current, wanted)
        self.need[row["path"]] = set(wanted)

    def _recorded(
        self, row: dict[str, Any], entry: dict[str, Any], current: DataEntry | None
    ) -> None:
        """Changed or missing: the recorded version's objects, and which files changed."""
        from gitops_ml.data.objects import Objects, entry_objects

        try:
            wanted, _ = entry_objects(Objects(self.repo, self.local, self.remote), [entry])
        except GitopsError as exc:
            row["problem"] = str(exc)
            wanted = {}
        row["cached"] = bool(wanted) and self.local.has_all(list(wanted))
        self.need[row["path"]] = set(wanted)
        digest = str(entry.get("hash"))
        changed_dir = row["state"] == "changed" and entry.get("kind") == "dir"
        known = changed_dir and not row.get("problem") and self.local.has(digest)
        if known and current is not None and current.manifest:
            row["changes"] = changes(self.local.read_bytes(digest), current.manifest)

    def pushed(self, rows: list[dict[str, Any]]) -> None:
        """Whether each row's objects are in the remote (one request for all rows)."""
        if self.remote is None or not self.need:
            return
        try:
            there: set[str] | None = self.remote.existing(set().union(*self.need.values()))
        except GitopsError as exc:
            print(f"gitops-ml: warning: {exc}", file=sys.stderr)
            there = None
        for row in rows:
            if row["path"] in self.need:
                row["pushed"] = None if there is None else self.need[row["path"]] <= there


def collect(
    repo: Repo,
    cfg: Config,
    recorded: Iterable[tuple[str, dict[str, Any]]],
    *,
    snapshot: tuple[tuple[list[int] | None, list[int] | None], str | None] | None = None,
) -> list[dict[str, Any]]:
    """One row per declared data path; ``recorded``: ``(run id, data entry)`` of every run,
    oldest first (the latest entry for a path wins).

    ``snapshot``: ``(config stamps, refs fingerprint)`` as :func:`quickstatus.keep
    <gitops_ml.data.quickstatus.keep>` takes them: the rows are kept for the next
    ``data status`` when they qualify.
    """
    last: dict[str, tuple[str, dict[str, Any]]] = {}
    for run_id, entry in recorded:
        last[str(entry.get("path"))] = (run_id, entry)
    status = _Status(repo, cfg)
    rows = [status.row(rel, last.get(rel)) for rel in cfg.data]
    status.cache.save()
    status.pushed(rows)
    if snapshot is not None:
        from gitops_ml.data import quickstatus

        quickstatus.keep(
            repo,
            cfg,
            rows,
            config_stamps=snapshot[0],
            refs=snapshot[1],
            stat_index=status.stat_index,
            local=status.local,
        )
    return rows
