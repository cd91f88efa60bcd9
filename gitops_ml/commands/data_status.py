"""``gitops-ml data status [--json]``: declared data now vs. as the last run recorded it.

States: ``unchanged``, ``changed``, ``new`` (no run recorded it yet), ``missing``
(declared but absent). For the recorded version: whether its objects are in the local
cache and in the ``store`` remote.
"""

from __future__ import annotations

import argparse
import json
import sys

from gitops_ml.core import config, gitstore
from gitops_ml.runs import index

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def _changes(old: bytes, new: bytes | None) -> dict[str, list[str]]:
    from gitops_ml.core.hashing import manifest_lines

    before = {rel: digest for digest, _, rel in manifest_lines(old)}
    after = {rel: digest for digest, _, rel in manifest_lines(new or b"")}
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "modified": sorted(r for r in set(before) & set(after) if before[r] != after[r]),
    }


def collect(repo: gitstore.Repo, cfg: config.Config) -> list[dict[str, Any]]:
    """One row per declared data path (see the module docstring)."""
    from gitops_ml.core.errors import GitopsError
    from gitops_ml.core.hashing import HashCache, hash_path
    from gitops_ml.data import store
    from gitops_ml.data.cache import LocalStore

    last: dict[str, tuple[str, dict[str, Any]]] = {}
    for rec in index.load(repo).runs():  # oldest first: the latest wins
        for entry in rec.get("data") or []:
            last[str(entry.get("path"))] = (rec["id"], entry)
    cache = HashCache(repo.state_dir / "hashcache.json")
    remote = store.remote_store(cfg, repo.top)
    objects = store.Objects(repo, LocalStore(repo.state_dir), remote)
    rows: list[dict[str, Any]] = []
    need: dict[str, set[str]] = {}
    for rel in cfg.data:
        row: dict[str, Any] = {"path": rel, "hash": None, "kind": None, "recorded": None}
        current = hash_path(repo.top, rel, cache) if (repo.top / rel).exists() else None
        if current is not None:
            row.update(hash=current.hash, kind=current.kind, size=current.size, files=current.files)
        run_id, entry = last.get(rel, (None, None))
        if entry is None:
            row["state"] = "missing" if current is None else "new"
        else:
            row["recorded"] = {"run": run_id, "hash": entry.get("hash")}
            if current is None:
                row["state"] = "missing"
            else:
                row["state"] = "unchanged" if current.hash == entry.get("hash") else "changed"
            try:
                wanted, _ = store.entry_objects(objects, [entry])
            except GitopsError as exc:
                row["problem"] = str(exc)
                wanted = {}
            need[rel] = set(wanted)
            row["cached"] = bool(wanted) and all(objects.local.has(d) for d in wanted)
            changed_dir = row["state"] == "changed" and entry.get("kind") == "dir"
            if changed_dir and current is not None and current.manifest and not row.get("problem"):
                digest = str(entry["hash"])
                if objects.local.has(digest):
                    with_old = objects.local.read_bytes(digest)
                    row["changes"] = _changes(with_old, current.manifest)
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


def _yes(value: Any) -> str:
    return "-" if value is None else ("yes" if value else "no")


def render(rows: list[dict[str, Any]], store: str | None) -> None:
    """Print the status table and, for changed directories, which files changed."""
    from gitops_ml.ui.render import print_table

    body = [
        [
            r["path"],
            r["state"],
            (r["hash"] or "-")[:12],
            (r["recorded"] or {}).get("run") or "-",
            _yes(r.get("cached")),
            _yes(r.get("pushed")) if store else "no store",
        ]
        for r in rows
    ]
    print_table(None, ["path", "state", "hash", "last run", "cached", "pushed"], body)
    for r in rows:
        for kind, names in (r.get("changes") or {}).items():
            for name in names[:10]:
                print(f"  {r['path']}/{name}: {kind}")
            if len(names) > 10:
                print(f"  {r['path']}: {len(names) - 10} more {kind}")
        if r.get("problem"):
            print(f"  {r['path']}: {r['problem']}")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    if not cfg.data:
        if args.json:
            print("[]")
        else:
            print("no data declared: list data paths under 'data:' in gitops-ml.yaml")
        return 0
    rows = collect(repo, cfg)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        render(rows, cfg.store)
    return 0
