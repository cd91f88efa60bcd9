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


def collect(
    repo: Repo, cfg: Config, recorded: Iterable[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """One row per declared data path; ``recorded``: ``(run id, data entry)`` of every run,
    oldest first (the latest entry for a path wins)."""
    last: dict[str, tuple[str, dict[str, Any]]] = {}
    for run_id, entry in recorded:
        last[str(entry.get("path"))] = (run_id, entry)
    cache = HashCache.for_repo(repo.state_dir)
    remote = remote_store(cfg, repo.top)
    local = LocalStore(repo.state_dir)
    rows: list[dict[str, Any]] = []
    need: dict[str, set[str]] = {}
    for rel in cfg.data:
        row: dict[str, Any] = {"path": rel, "hash": None, "kind": None, "recorded": None}
        current = hash_path(repo.top, rel, cache) if (repo.top / rel).exists() else None
        if current is not None:
            row.update(hash=current.hash, kind=current.kind, size=current.size, files=current.files)
        found = last.get(rel)
        if found is None:
            row["state"] = "missing" if current is None else "new"
            if current is not None:
                wanted = _current_objects(current)
                need[rel] = set(wanted)
                row["cached"] = _cached(local, current, wanted)
            rows.append(row)
            continue
        run_id, entry = found
        row["recorded"] = {"run": run_id, "hash": entry.get("hash")}
        if current is None:
            row["state"] = "missing"
        else:
            row["state"] = "unchanged" if current.hash == entry.get("hash") else "changed"
        if row["state"] == "unchanged" and current is not None and is_blake3(current.hash):
            # the recorded manifest is the one just computed: no need to read it back
            if remote is None and current.kind == "dir" and local.is_complete(current.hash):
                row["cached"] = True
                rows.append(row)
                continue
            wanted = _current_objects(current)
            row["cached"] = _cached(local, current, wanted)
        else:
            from gitops_ml.data.objects import Objects, entry_objects

            try:
                wanted, _ = entry_objects(Objects(repo, local, remote), [entry])
            except GitopsError as exc:
                row["problem"] = str(exc)
                wanted = {}
            row["cached"] = bool(wanted) and local.has_all(list(wanted))
        need[rel] = set(wanted)
        changed_dir = row["state"] == "changed" and entry.get("kind") == "dir"
        if changed_dir and current is not None and current.manifest and not row.get("problem"):
            digest = str(entry["hash"])
            if local.has(digest):
                row["changes"] = changes(local.read_bytes(digest), current.manifest)
        rows.append(row)
    cache.save()
    if remote is not None and need:
        try:
            there = remote.existing(set().union(*need.values()))
        except GitopsError as exc:
            print(f"gitops-ml: warning: {exc}", file=sys.stderr)
            there = None
        for row in rows:
            if row["path"] in need:
                row["pushed"] = None if there is None else need[row["path"]] <= there
    return rows
