"""``gitops-ml runs tag RUN TAG... [--remove]``: add tags to a run (or remove them).

Tags added later are notes facts on the run (the record itself is immutable): shown by
``runs ls``/``runs show``, matched by ``--where "'x' in tags"``, carried by ``sync``.
Exit codes: 0 done; 2 unknown run or a malformed tag; 3 damaged notes (nothing written).
"""

from __future__ import annotations

import argparse

from gitops_ml.core import gitstore


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("run", help="the run id (or a unique prefix)")
    p.add_argument("tags", nargs="+", metavar="TAG", help="tags to add (or remove)")
    p.add_argument("--remove", action="store_true", help="remove these tags instead")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import ids
    from gitops_ml.runs import tags

    repo = gitstore.open_repo()
    for tag in args.tags:
        tags.check_tag(tag)
    commits = gitstore.list_runs(repo)
    run_id = ids.resolve(args.run, commits)
    tags.change(repo, run_id, commits[run_id], args.tags, remove=args.remove)
    verb = "removed from" if args.remove else "added to"
    print(f"gitops-ml runs tag: {', '.join(args.tags)} {verb} run {run_id}")
    return 0
