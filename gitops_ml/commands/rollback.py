"""``gitops-ml rollback ENV``: the run in service before the current one, back in service.

A rollback is a new event in the chain (never a rewind); rolling back again goes one
further back. ``--to RUN`` rolls back to a named run. Exit codes as ``deploy``.
"""

from __future__ import annotations

import argparse

from gitops_ml.commands.deploy import add_common, report
from gitops_ml.core import config, gitstore


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("environment", help="the environment (e.g. production)")
    p.add_argument("--to", metavar="RUN", help="roll back to this run instead")
    add_common(p)


def main(args: argparse.Namespace) -> int:
    from gitops_ml.commands.deploy import github_side
    from gitops_ml.deploy import service

    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    settings = service.settings_of(cfg, args.environment)
    outcome = service.deploy(
        repo,
        cfg,
        args.environment,
        args.to,
        action="rollback",
        why=args.why,
        remote_name=args.remote,
        push=not args.no_push,
        github=github_side(settings.get("github_deployment", "auto"), args.github_deployment),  # type: ignore[arg-type]
    )
    return report(outcome, args.json)
