"""``gitops-ml-push-runs`` (pre-push): push runs, notes and deploy refs along with a push.

Git passes the remote's name and URL; under the pre-commit framework they come from
``PRE_COMMIT_REMOTE_NAME``/``PRE_COMMIT_REMOTE_URL``. Fetches and merges the notes first
when the remote moved. Never blocks the push: a network failure is a warning, exit 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gitops_ml.core import git, gitstore
from gitops_ml.core.errors import OK
from gitops_ml.hooks._network import sync_or_warn
from gitops_ml.sync import gitsync

PROG = "gitops-ml-push-runs"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the pre-push hook (always exits 0)."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("remote", nargs="?", help="the remote's name (git passes it)")
    parser.add_argument("url", nargs="?", help="the remote's URL (git passes it)")
    args = parser.parse_args(argv)
    name = args.remote or os.environ.get("PRE_COMMIT_REMOTE_NAME")
    url = args.url or os.environ.get("PRE_COMMIT_REMOTE_URL")
    try:
        repo = gitstore.open_repo()
        mine = git.out(
            [
                "for-each-ref",
                "--count=1",
                "--format=x",
                gitsync.RUNS,
                gitsync.ARCH,  # runs compacted while recording: no run ref may be left
                gitsync.NOTES,
                gitsync.DEPLOY,
            ],
            repo.top,
        )
        if not mine:
            return 0  # nothing of ours to push: keep pushes of other repos fast
        known = gitsync.remote_names(repo)
        target = gitsync.resolve(repo, name if name in known else (url or name))
    except Exception as exc:
        print(f"{PROG}: warning: {gitsync.redact(str(exc))}; runs were not pushed", file=sys.stderr)
        return OK
    return sync_or_warn(PROG, repo, target, push=True)


if __name__ == "__main__":
    raise SystemExit(main())
