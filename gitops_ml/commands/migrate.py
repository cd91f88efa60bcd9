"""``gitops-ml migrate``: bring a 0.1 repository to storage contract v2 (idempotent).

Stores every inline environment of 0.1 records once under ``refs/gitops-ml/environments``
and drops the per-run notes lines 0.1 wrote on base commits; rewrites nothing immutable.
Above 1,000 run refs it moves them into ``refs/gitops-ml/archive``, as recording does.
Exit codes: 0 done (or nothing to do); 3 damaged notes or environments (nothing written).
"""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments (none)."""


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import gitstore
    from gitops_ml.core.archive import ARCHIVE_REF
    from gitops_ml.runs.migrate import migrate

    repo = gitstore.open_repo()
    gitstore.check_state(repo)
    done = migrate(repo)
    if not (done.environments or done.lines or done.archived):
        print("gitops-ml migrate: nothing to migrate (already storage contract v2)")
        return 0
    moved = f"; {done.archived} run refs moved into {ARCHIVE_REF}" if done.archived else ""
    print(
        f"gitops-ml migrate: {done.runs_v1} runs of 0.1; {done.environments} environments "
        f"stored in {gitstore.ENVIRONMENTS_REF}; {done.lines} obsolete notes lines dropped "
        f"from {done.notes} commits{moved}"
    )
    return 0
