"""``gitops-ml sync [REMOTE]``: fetch, merge and push runs, notes and deploy refs.

Exit codes: 0 synced; 1 synced, but a run differs between the two sides, a deploy chain
has diverged or something the remote sent was refused as malformed (each printed as a
warning); 2 no such remote; 3 the remote is unreachable or refuses us.
"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.sync import gitsync


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("remote", nargs="?", default=None, help="the remote (default: origin)")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    try:
        target = gitsync.resolve(repo, args.remote)
        report = gitsync.sync(repo, target)
    except GitopsError as exc:  # whatever git said, a token in a URL is never shown
        raise GitopsError(gitsync.redact(str(exc)), exc.code) from None
    print(f"gitops-ml sync: {report.summary()}")
    for line in report.warnings():
        print(f"gitops-ml: warning: {line}", file=sys.stderr)
    return 0 if report.clean else 1
