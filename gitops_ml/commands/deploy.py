"""``gitops-ml deploy ENV RUN``: put a run in service in an environment and record it.

Exit codes: 0 deployed; 1 refused (the run failed, failed verification, or was never
verified where the environment requires it) or the target failed (recorded as a failed
deploy); 2 usage (unknown run, bad settings); 3 the remote is unreachable.
"""

from __future__ import annotations

import argparse

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import CHECK_FAILED, OK, UsageError


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("environment", help="the environment (e.g. production)")
    p.add_argument("run", nargs="?", help="run id or unique prefix")
    p.add_argument(
        "--change",
        metavar="BASE..HEAD",
        help="instead of RUN: the run the change BASE..HEAD claims and verified (deploy on "
        "merge: the push's before..after); nothing claimed is a notice, not a failure",
    )
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
    p.add_argument(
        "--github-deployment",
        choices=("auto", "true", "false"),
        default=None,
        help="create a GitHub Deployment with its statuses (auto: in GitHub Actions with a "
        "token; false when the job's environment: already creates one)",
    )


def github_side(setting: object, flag: str | None) -> object:
    """The GitHub Deployment of this deploy, or None."""
    choice: object = {"true": True, "false": False, "auto": "auto"}.get(flag or "", setting)
    from gitops_ml.github import deployments

    return deployments.Deployment() if deployments.wanted(choice) else None


def pick_from_change(repo: gitstore.Repo, change: str) -> str | None:
    """The run a change claims, for deploy on merge: the newest claimed run whose latest
    verification passed, else the newest claimed run (which the checks then judge)."""
    from gitops_ml.ci import claims
    from gitops_ml.deploy import policy

    base, sep, head = change.partition("..")
    if not sep or not base or not head:
        raise UsageError(f"--change {change!r}: expected BASE..HEAD")
    runs = claims.claimed(repo, base, head, cap=100)
    for rec in runs:
        verdict = policy.latest_verification(rec)
        if verdict is not None and verdict.get("ok"):
            return str(rec["id"])
    return str(runs[0]["id"]) if runs else None


def report(outcome: object, as_json: bool) -> int:
    """Print what a deploy or rollback did; 0 when its target worked, else 1."""
    import sys

    from gitops_ml.core import deployevents as events
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
    import sys

    from gitops_ml.deploy import service

    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    if (args.run is None) == (args.change is None):
        raise UsageError("name the run to deploy, or --change BASE..HEAD (not both)")
    run = args.run
    why = args.why
    if args.change:
        run = pick_from_change(repo, args.change)
        if run is None:
            print(
                f"gitops-ml deploy: nothing to deploy: {args.change} claims no run",
                file=sys.stderr,
            )
            if args.json:
                print("null")
            return OK
        why = why or f"merged {args.change}"
    settings = service.settings_of(cfg, args.environment)
    outcome = service.deploy(
        repo,
        cfg,
        args.environment,
        run,
        why=why,
        force=args.force,
        remote_name=args.remote,
        push=not args.no_push,
        github=github_side(settings.get("github_deployment", "auto"), args.github_deployment),  # type: ignore[arg-type]
    )
    return report(outcome, args.json)
