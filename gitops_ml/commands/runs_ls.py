"""``gitops-ml runs ls [--where EXPR] [--sort [-]KEY] [--limit N|--all] [--here] [--json]``

The table shows a screenful by default (newest first) with a footer saying how many more
match; ``--json`` lists every matching run unless ``--limit`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index, query, runstatus

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

SCREEN_ROWS = 20  # the table's default length when the terminal's height is unknown


def select(
    runs: list[dict[str, Any]], where: str | None, sort: str | None, limit: int | None
) -> list[dict[str, Any]]:
    """Filter, sort and cut a list of records in Python (the index does it in SQL)."""
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
        values = r.get(part)
        if not isinstance(values, dict):
            continue
        for k, v in values.items():
            keys.setdefault(k, set()).add(json.dumps(v, sort_keys=True, default=str))
    if len(keys) <= always:
        return list(keys)
    return [k for k, vals in keys.items() if len(vals) > 1 or len(runs) == 1][:8]


def screenful() -> int:
    """Rows that fit a terminal screen under a header and a footer (20 off a terminal)."""
    if not sys.stdout.isatty():
        return SCREEN_ROWS
    try:
        return max(5, os.get_terminal_size(sys.stdout.fileno()).lines - 4)
    except OSError:
        return SCREEN_ROWS


def table(runs: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of the runs table (columns: what varies among these runs)."""
    from gitops_ml.ui.render import fmt, short_ids

    params = _varying(runs, "params", 6)
    metrics = _varying(runs, "metrics", 8)
    tagged = any(r.get("tags") for r in runs)
    short = short_ids([r["id"] for r in runs])
    headers = ["run", "name", "started", "status", *(["tags"] if tagged else []), *params, *metrics]

    def get(r: dict[str, Any], part: str, key: str) -> str:
        values = r.get(part)
        return fmt(values.get(key)) if isinstance(values, dict) else "-"

    rows = [
        [
            short[r["id"]],
            str(r.get("name") or ""),
            str(r.get("started") or "")[:19].replace("T", " "),
            str(r.get("status") or runstatus.status(r)),
            *([",".join(r.get("tags") or [])] if tagged else []),
            *[get(r, "params", k) for k in params],
            *[get(r, "metrics", k) for k in metrics],
        ]
        for r in runs
    ]
    return headers, rows


def print_runs(
    runs: list[dict[str, Any]], title: str | None = None, *, total: int | None = None
) -> None:
    """The runs as a table, and a footer when ``total`` says more runs match."""
    from gitops_ml.ui.render import plural, print_table

    if not runs:
        print(
            "no runs yet: record one with 'gitops-ml run -- CMD' (or 'gitops-ml sync' to fetch others')"
        )
        return
    print_table(title, *table(runs))
    if total is not None and total > len(runs):
        print(
            f"... {plural(total - len(runs), 'more run')} "
            f"(showing {len(runs):,} of {total:,}; --limit N or --all for more)"
        )


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--where", help="filter, e.g. 'metrics.accuracy>=0.9 and params.lr<0.5'")
    p.add_argument("--sort", metavar="[-]KEY", help="sort by KEY (prefix - for descending)")
    p.add_argument(
        "--limit",
        type=int,
        help=f"show at most N runs (the table: a screenful by default, {SCREEN_ROWS} off a terminal)",
    )
    p.add_argument("--all", action="store_true", help="the table: every matching run")
    p.add_argument("--here", action="store_true", help="only runs made on the current HEAD commit")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    return show(
        where=args.where,
        sort=args.sort,
        limit=args.limit,
        every=args.all,
        here=args.here,
        as_json=args.json,
    )


def show(
    *,
    where: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    every: bool = False,
    here: bool = False,
    as_json: bool = False,
) -> int:
    """List runs on stdout, as ``runs ls`` does with these options (typed, for callers)."""
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    where_sql = query.where_sql(where) if where else None
    order = query.order_sql(sort) if sort else None
    repo = gitstore.open_repo()
    idx = index.load(repo)
    head = None
    if here:
        head = gitstore.resolve_ref(repo, "HEAD") or "-"  # an unborn branch: no run on it
    if as_json:
        # Each run's JSON text is kept in the index: nothing decoded or encoded again.
        sys.stdout.flush()
        idx.write_json_array(
            sys.stdout.buffer, where=where_sql, order=order, here=head, limit=limit
        )
        sys.stdout.buffer.flush()
        return 0
    shown = None if every else (limit if limit is not None else screenful())
    if shown is None:
        runs, matched = idx.records(where=where_sql, order=order, here=head), None
    else:
        runs, matched = idx.page(where=where_sql, order=order, here=head, limit=shown)
    if not runs and shown == 0:
        return 0
    if not runs and (where_sql is not None or head is not None):
        everything = idx.count()
        if everything:
            what = "--where" if where_sql is not None else "--here"
            print(
                f"no runs match {what} ({everything:,} runs in all; 'gitops-ml runs ls' lists them)"
            )
            return 0
    total = matched if shown is not None and len(runs) >= shown else None
    print_runs(runs, total=total)
    return 0
