"""``gitops-ml sync [REMOTE]``: fetch, merge and push runs, notes and deploy refs.

Exit codes: 0 synced; 1 synced, but a run differs between the two sides or a deploy chain
has diverged (each printed as a warning); 2 no such remote; 3 the remote is unreachable
or refuses us.
"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import gitstore
from gitops_ml.sync import gitsync


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("remote", nargs="?", default=None, help="the remote (default: origin)")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    target = gitsync.resolve(repo, args.remote)
    report = gitsync.sync(repo, target)
    print(f"gitops-ml sync: {report.summary()}")
    for line in report.warnings():
        print(f"gitops-ml: warning: {line}", file=sys.stderr)
    return 0 if report.clean else 1
