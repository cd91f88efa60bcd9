"""``gitops-ml-fetch-runs`` (post-merge, post-checkout): fetch runs and notes after a pull.

Fetches from the current branch's upstream remote (else ``origin``, else the only one),
merges the notes and fast-forwards deploy chains. Skipped for file checkouts, checkouts
that do not move HEAD and the steps of a rebase. A remote that is down is a warning, exit 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gitops_ml.core import gitstore
from gitops_ml.core.errors import OK
from gitops_ml.hooks._network import sync_or_warn
from gitops_ml.sync import gitsync

PROG = "gitops-ml-fetch-runs"


def _skip(args: list[str]) -> bool:
    prev = os.environ.get("PRE_COMMIT_FROM_REF")
    new = os.environ.get("PRE_COMMIT_TO_REF")
    kind = os.environ.get("PRE_COMMIT_CHECKOUT_TYPE")
    if len(args) == 3:  # post-checkout: previous HEAD, new HEAD, 1 for a branch checkout
        prev, new, kind = args
    if kind == "0" or (prev and prev == new):
        return True
    return os.environ.get("GIT_REFLOG_ACTION", "").startswith("rebase")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the post-merge and post-checkout hooks (always exits 0)."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("hook_args", nargs="*", help="what git passes to the hook")
    args = parser.parse_args(argv)
    if _skip(list(args.hook_args)):
        return OK
    try:
        repo = gitstore.open_repo()
        if any((repo.git_dir / d).exists() for d in ("rebase-merge", "rebase-apply")):
            return OK
        names = gitsync.remote_names(repo)
        if not names:
            return OK
        name = gitsync.upstream_remote(repo)
        target = gitsync.resolve(repo, name if name in names else None)
    except Exception as exc:
        print(
            f"{PROG}: warning: {gitsync.redact(str(exc))}; runs were not fetched", file=sys.stderr
        )
        return OK
    return sync_or_warn(PROG, repo, target, push=False)


if __name__ == "__main__":
    raise SystemExit(main())
