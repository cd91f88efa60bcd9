"""``gitops-ml log [REV] [-n N] [--runs K] [--json]``: history with the runs on each commit.

What ``git log --notes`` showed through 0.1's per-commit notes lines: each commit of the
branch (first parent), then the runs made on it, best by the primary metric first; a
commit with more than ``--runs`` runs says how many more. Exit codes: 0; 2 unknown REV.
"""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("rev", nargs="?", default="HEAD", help="where the history starts (HEAD)")
    p.add_argument("-n", "--max-count", type=int, default=20, help="commits shown (0: all)")
    p.add_argument("--runs", type=int, default=3, metavar="K", help="runs shown per commit")
    p.add_argument("--json", action="store_true", help="JSON: commits with their runs")


def _clean(text: str) -> str:
    """``text`` safe for a terminal: control characters escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _line(rec: dict[str, object], primary: str | None) -> str:
    from gitops_ml.ui.render import fmt

    name = (primary or "").lstrip("-")
    metrics = rec.get("metrics") if isinstance(rec.get("metrics"), dict) else {}
    assert isinstance(metrics, dict)
    parts = [str(rec.get("id"))[:10]]
    if rec.get("name"):
        parts.append(_clean(str(rec["name"])))
    if name and name in metrics:
        parts.append(f"{name}={fmt(metrics[name])}")
    if rec.get("exit_code") not in (0, None):
        parts.append(f"failed (exit {rec.get('exit_code')})")
    return "  ".join(parts)


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import config as config_mod
    from gitops_ml.core import gitstore
    from gitops_ml.runs import history
    from gitops_ml.ui.render import print_json

    repo = gitstore.open_repo()
    try:
        primary = config_mod.load(repo.top).primary
    except Exception:  # no or broken config: history without ranking
        primary = None
    shown = history.history(repo, args.rev, args.max_count, primary, max(args.runs, 0))
    if args.json:
        print_json(
            [
                {
                    **{k: c[k] for k in ("commit", "subject", "author", "date", "runs")},
                    "best": [r.get("id") for r in c["best"][: args.runs]],
                }
                for c in shown
            ]
        )
        return 0
    for c in shown:
        print(f"{c['short']} {_clean(c['subject'])} ({_clean(c['author'])}, {c['date'][:10]})")
        if not c["runs"]:
            continue
        count = f"{c['runs']} run" + ("" if c["runs"] == 1 else "s")
        print(f"    {count}" + (f", best {primary} first:" if primary else ", newest first:"))
        for rec in c["best"][: args.runs]:
            print(f"      {_line(rec, primary)}")
        more = c["runs"] - min(c["runs"], args.runs)
        if more:
            print(f"      ... and {more} more")
    return 0
