"""``gitops-ml deployed [ENV] [--json]``: which run is in service, since when, by whom.

Answers from this clone's ``refs/deploy/*`` (``gitops-ml sync`` fetches others').
Exit codes: 0 answered; 1 nothing is deployed in ENV; 2 usage.
"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import deploychain, gitstore
from gitops_ml.core.errors import CHECK_FAILED, OK

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("environment", nargs="?", help="one environment (default: every one)")
    p.add_argument("--json", action="store_true", help="print JSON")


def summary(env: str, ev: dict[str, Any] | None, count: int) -> dict[str, Any]:
    """What ``deployed`` says of one environment."""
    if ev is None:
        return {"environment": env, "run": None, "events": count}
    return {
        "environment": env,
        "run": ev.get("run"),
        "name": ev.get("name"),
        "since": ev.get("at"),
        "by": ev.get("by"),
        "action": ev.get("action"),
        "why": ev.get("why"),
        "forced": ev.get("forced", False),
        "models": ev.get("models") or [],
        "target": ev.get("target"),
        "event": ev.get("commit"),
        "events": count,
    }


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import deployevents as events
    from gitops_ml.deploy import service

    repo = gitstore.open_repo()
    envs = [args.environment] if args.environment else sorted(deploychain.environments(repo))
    rows = []
    for env in envs:
        past = service.history(repo, deploychain.check_env_name(env))
        rows.append(summary(env, events.in_service(past), len(past)))
    if args.json:
        from gitops_ml.ui.render import print_json

        print_json(rows[0] if args.environment else rows)
    else:
        if not rows:
            print("nothing deployed yet (no refs/deploy/* here; 'gitops-ml sync' fetches them)")
        for row in rows:
            if row["run"] is None:
                from gitops_ml.ui.render import plural

                events_ = plural(row["events"], "event")
                print(f"{row['environment']}: nothing in service ({events_}, none succeeded)")
                continue
            by = (row["by"] or {}).get("email", "?")
            name = f" ({row['name']})" if row.get("name") else ""
            models = ", ".join(f"{m['path']} {m['hash'][:12]}" for m in row["models"]) or "-"
            print(
                f"{row['environment']}: run {row['run']}{name} since {row['since']} by {by}"
                f" ({row['action']}{', forced' if row['forced'] else ''})"
            )
            print(f"  models  {models}")
            if row.get("why"):
                print(f"  why     {row['why']}")
    if args.environment and rows[0]["run"] is None:
        print(f"gitops-ml deployed: nothing is in service in {args.environment}", file=sys.stderr)
        return CHECK_FAILED
    return OK
