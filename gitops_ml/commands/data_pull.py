"""``gitops-ml data pull [RUN] [--outputs]``: restore a run's data (and outputs), verified.

Only paths declared in gitops-ml.yaml are written; a declared path whose content differs
from the run's is overwritten to match it, after its current content is put in the local

cache (so ``data pull`` never loses bytes).
"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def _pick_run(repo: gitstore.Repo, prefix: str | None) -> dict[str, Any]:
    if prefix:
        return index.full_record(repo, prefix)
    for rec in index.load(repo).iter_runs(newest_first=True):
        if rec.get("data"):
            return dict(rec)
    raise UsageError("no run has recorded data yet: name a run, or declare data and run")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument(
        "run", nargs="?", help="run id (default: the declared data as the last run used it)"
    )
    p.add_argument("--outputs", action="store_true", help="restore the run's outputs too")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core.paths import strict_parts
    from gitops_ml.data.restore import keep_local_changes, restore_entries

    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    rec = _pick_run(repo, args.run)
    declared = set(cfg.data) | (set(cfg.outputs) if args.outputs else set())
    wanted = list(rec.get("data") or []) + (list(rec.get("outputs") or []) if args.outputs else [])
    for entry in wanted:  # refuse a hostile record before anything else
        strict_parts(str(entry.get("path")), "record entry")
    entries = []
    for entry in wanted:
        if entry.get("path") in declared:
            entries.append(entry)
        else:
            print(
                f"gitops-ml: warning: {entry.get('path')!r}: recorded by run {rec['id']} but not "
                "declared in gitops-ml.yaml now; not restored",
                file=sys.stderr,
            )
    if not entries:
        print(f"run {rec['id']}: nothing to restore")
        return 0
    kept = keep_local_changes(repo, entries)
    written = restore_entries(repo, cfg, entries, repo.top)
    for path, digest in kept.items():
        print(
            f"gitops-ml: {path}: local changes overwritten to match the run; the previous "
            f"version stays in the local cache as {digest}",
            file=sys.stderr,
        )
    paths = ", ".join(str(e["path"]) for e in entries)
    if written:
        print(f"restored {len(written)} file(s) of run {rec['id']}: {paths}")
    else:
        print(f"{paths}: already as run {rec['id']} recorded")
    return 0
