"""``gitops-ml runs compact [--keep N]``: move run refs into ``refs/gitops-ml/archive``.

``sync`` does this above 100 run refs and recording above 1,000 (keeping none: the
archive is how runs travel); this command does it locally, keeping the newest N as
``refs/runs/<id>``. Every run id still resolves. Exit codes: 0 done; 2 a bad --keep; 3
concurrent writers kept winning, or the archive ref names something else than a commit.
"""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--keep", type=int, default=0, metavar="N", help="newest run refs kept (0)")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import archive, gitstore

    repo = gitstore.open_repo()
    done = archive.compact(repo, args.keep)
    print(f"gitops-ml runs compact: {len(done.archived)} runs moved into {archive.ARCHIVE_REF}")
    return 0
