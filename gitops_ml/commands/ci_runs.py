"""``gitops-ml ci runs --base REV [--head REV] [--max N] [--json]``: the runs a change claims.

Exit codes: 0 listed (even none); 2 a revision that names no commit.
"""

from __future__ import annotations

import argparse

from gitops_ml.ci import claims
from gitops_ml.ci.settings import load as load_settings
from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import OK, UsageError
from gitops_ml.ui.render import fmt, print_json, print_table


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--base", help="the base revision (default: the pull request's base)")
    p.add_argument("--head", help="the head revision (default: the pull request's head, else HEAD)")
    p.add_argument("--max", type=int, help="at most N runs (default: ci.max_runs, 10)")
    p.add_argument("--json", action="store_true", help="print the runs as JSON")


def revisions(args: argparse.Namespace) -> tuple[str, str]:
    """``--base``/``--head``, else the pull request's in the GitHub event, else HEAD."""
    base, head = args.base, args.head
    if base is None or head is None:
        from gitops_ml.github import context

        pr = context.pull_request()
        if pr is not None:
            base = base or pr.base_sha
            head = head or pr.head_sha
    if not base:
        raise UsageError("--base REV is needed (no pull request event to take it from)")
    return base, head or "HEAD"


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    settings = load_settings(config.load(repo.top))
    cap = args.max if args.max is not None else settings.max_runs
    if cap < 1:
        raise UsageError("--max must be 1 or more")
    base, head = revisions(args)
    found = claims.claimed(repo, base, head, cap)
    if args.json:
        print_json(
            [
                {
                    "id": r["id"],
                    "name": r.get("name"),
                    "claim": r["claim"],
                    "commit": (r.get("git") or {}).get("base"),
                    "started": r.get("started"),
                    "exit_code": r.get("exit_code"),
                    "metrics": r.get("metrics") or {},
                }
                for r in found
            ]
        )
        return OK
    if not found:
        print("this change claims no runs")
        return OK
    metric = settings.metric
    rows = [
        [
            str(r["id"]),
            fmt(r.get("name")),
            str(r["claim"]),
            fmt((r.get("metrics") or {}).get(metric)) if metric else "",
        ]
        for r in found
    ]
    print_table(None, ["run", "name", "why", metric or ""], rows)
    return OK
