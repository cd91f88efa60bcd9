"""``gitops-ml deploy history ENV [--json]``: every deploy and rollback, newest first."""

from __future__ import annotations

import argparse

from gitops_ml.core import deploychain, gitstore
from gitops_ml.core.errors import OK


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("environment", help="the environment")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N events")
    p.add_argument("--json", action="store_true", help="print JSON (newest first)")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import deployevents as events
    from gitops_ml.deploy import service

    repo = gitstore.open_repo()
    past = service.history(repo, deploychain.check_env_name(args.environment))
    current = events.in_service(past)
    rows = list(reversed(past))[: args.limit]
    if args.json:
        from gitops_ml.ui.render import print_json

        print_json(rows)
        return OK
    if not rows:
        print(f"no deploys to {args.environment} yet")
        return OK
    from gitops_ml.ui.render import print_table

    table = []
    for ev in rows:
        mark = "*" if current is not None and ev.get("commit") == current.get("commit") else ""
        target = ev.get("target") or {}
        result = "ok" if events.ok(ev) else "FAILED"
        if ev.get("forced"):
            result += " forced"
        table.append(
            [
                mark,
                str(ev.get("at", "?")),
                str(ev.get("action")),
                str(ev.get("run")),
                str((ev.get("by") or {}).get("email", "?")),
                f"{target.get('kind', '?')} {result}",
                str(ev.get("why") or ""),
                str(ev.get("commit", ""))[:12],
            ]
        )
    print_table(
        f"deploy history of {args.environment} (* in service)",
        ["", "when", "action", "run", "by", "target", "why", "event"],
        table,
    )
    return OK
