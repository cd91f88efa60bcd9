"""``gitops-ml runs ls [--where EXPR] [--sort [-]KEY] [--limit N] [--here] [--json]``"""

from __future__ import annotations

import argparse
import json
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index, query, runstatus

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def select(
    runs: list[dict[str, Any]], where: str | None, sort: str | None, limit: int | None
) -> list[dict[str, Any]]:
    for rec in runs:
        rec["status"] = runstatus.status(rec)
    if where:
        pred = query.compile_where(where)
        runs = [r for r in runs if pred(r)]
    runs = (
        query.sort_runs(runs, sort) if sort else sorted(runs, key=lambda r: r["id"], reverse=True)
    )
    if limit is not None:
        if limit < 0:
            raise UsageError("--limit must be 0 or more")
        runs = runs[:limit]
    return runs


def _varying(runs: list[dict[str, Any]], part: str, always: int) -> list[str]:
    keys: dict[str, set[str]] = {}
    for r in runs:
        for k, v in (r.get(part) or {}).items():
            keys.setdefault(k, set()).add(json.dumps(v, sort_keys=True, default=str))
    if len(keys) <= always:
        return list(keys)
    return [k for k, vals in keys.items() if len(vals) > 1 or len(runs) == 1][:8]


def print_runs(runs: list[dict[str, Any]], title: str | None = None) -> None:
    from gitops_ml.ui.render import fmt, print_table, short_ids

    if not runs:
        print(
            "no runs yet: record one with 'gitops-ml run -- CMD' (or 'gitops-ml sync' to fetch others')"
        )
        return
    params = _varying(runs, "params", 6)
    metrics = _varying(runs, "metrics", 8)
    short = short_ids([r["id"] for r in runs])
    headers = ["run", "name", "started", "status", *params, *metrics]
    rows = [
        [
            short[r["id"]],
            r.get("name") or "",
            (r.get("started") or "")[:19].replace("T", " "),
            r["status"],
            *[fmt((r.get("params") or {}).get(k)) for k in params],
            *[fmt((r.get("metrics") or {}).get(k)) for k in metrics],
        ]
        for r in runs
    ]
    print_table(title, headers, rows)


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--where", help="filter, e.g. 'metrics.accuracy>=0.9 and params.lr<0.5'")
    p.add_argument("--sort", metavar="[-]KEY", help="sort by KEY (prefix - for descending)")
    p.add_argument("--limit", type=int, help="show at most N runs")
    p.add_argument("--here", action="store_true", help="only runs made on the current HEAD commit")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    idx = index.load(repo)
    if args.json and not (args.where or args.sort or args.here):
        # The common case needs no record: newest first, texts straight from the index.
        if args.limit is not None and args.limit < 0:
            raise UsageError("--limit must be 0 or more")
        ids = sorted(idx.commits, reverse=True)[: args.limit]
        sys.stdout.write("[" + ",".join(idx.json_text(i) for i in ids) + "]\n")
        return 0
    runs = idx.runs()
    if args.here:
        head = gitstore.resolve_ref(repo, "HEAD")
        runs = [r for r in runs if (r.get("git") or {}).get("base") == head]
    runs = select(runs, args.where, args.sort, args.limit)
    if args.json:
        # Each run's JSON text is kept in the index: nothing to encode again.
        sys.stdout.write("[" + ",".join(idx.json_text(r["id"]) for r in runs) + "]\n")
    else:
        print_runs(runs)
    return 0
