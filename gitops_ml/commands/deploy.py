"""``gitops-ml deploy ENV RUN``: put a run in service in an environment and record it.

Exit codes: 0 deployed; 1 refused (the run failed, failed verification, or was never
verified where the environment requires it) or the target failed (recorded as a failed
deploy); 2 usage (unknown run, bad settings); 3 the remote is unreachable.
"""

from __future__ import annotations

import argparse

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import CHECK_FAILED, OK


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("environment", help="the environment (e.g. production)")
    p.add_argument("run", help="run id or unique prefix")
    add_common(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="deploy a run the checks refuse (needs --why; the force is recorded)",
    )


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by deploy and rollback."""
    p.add_argument("--why", metavar="TEXT", help="the reason, recorded with the event")
    p.add_argument(
        "--remote",
        metavar="REMOTE",
        help="share the chain through this remote (default: the environment's, else origin)",
    )
    p.add_argument(
        "--no-push", action="store_true", help="record in this clone only (no fetch, no push)"
    )
    p.add_argument("--json", action="store_true", help="print the recorded event as JSON")


def report(outcome: object, as_json: bool) -> int:
    """Print what a deploy or rollback did; 0 when its target worked, else 1."""
    import sys

    from gitops_ml.deploy import events
    from gitops_ml.deploy.service import Outcome
    from gitops_ml.ui.render import print_json

    assert isinstance(outcome, Outcome)
    ev = outcome.event
    if as_json:
        print_json({**ev, "commit": outcome.commit, "lost_races": outcome.lost_races})
    target = ev["target"]
    if events.ok(ev):
        if not as_json:
            where = f", pushed to {outcome.remote}" if outcome.remote else " (this clone only)"
            print(
                f"gitops-ml {ev['action']}: {ev['environment']} now serves run {ev['run']}"
                f" (target {target.get('kind')}; event {outcome.commit[:12]}{where})"
            )
            if ev.get("forced"):
                print(f"gitops-ml {ev['action']}: forced, recorded: {ev['refusal_overridden']}")
        return OK
    detail = target.get("error") or (
        f"exit {target['exit_code']}" if "exit_code" in target else "failed"
    )
    kept = f"{ev['previous']} stays in service" if ev.get("previous") else "nothing is in service"
    print(
        f"gitops-ml {ev['action']}: target {target.get('kind')} failed ({detail}); recorded as a "
        f"failed {ev['action']} (event {outcome.commit[:12]}); {kept}",
        file=sys.stderr,
    )
    return CHECK_FAILED


def main(args: argparse.Namespace) -> int:
    from gitops_ml.deploy import service

    repo = gitstore.open_repo()
    outcome = service.deploy(
        repo,
        config.load(repo.top),
        args.environment,
        args.run,
        why=args.why,
        force=args.force,
        remote_name=args.remote,
        push=not args.no_push,
    )
    return report(outcome, args.json)
