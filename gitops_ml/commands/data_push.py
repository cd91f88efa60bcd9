"""``gitops-ml data push [RUN...]``: upload cached data and outputs to the ``store`` remote.

Without RUN: the current content of every declared data path (cached first, so data no run
has recorded yet is stored too) and everything in the local cache.
"""

from __future__ import annotations

import argparse

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index

NO_STORE = (
    "no data store configured: add 'store: <path or URL>' (e.g. s3://bucket/prefix) "
    "to gitops-ml.yaml"
)


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("runs", nargs="*", help="only what these runs used (default: everything cached)")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.data import push
    from gitops_ml.data.cache import LocalStore
    from gitops_ml.data.objects import Objects, entry_objects
    from gitops_ml.data.remote import remote_store

    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    remote = remote_store(cfg, repo.top)
    if remote is None:
        raise UsageError(NO_STORE)
    objects = Objects(repo, LocalStore(repo.state_dir), remote)
    if args.runs:
        entries = [
            e
            for prefix in args.runs
            for e in push.recorded_entries(index.full_record(repo, prefix))
        ]
        wanted, manifests = entry_objects(objects, entries)
    else:
        manifests = push.cache_declared(repo.top, repo.state_dir, cfg.data)
        wanted = {d: "cached object" for d in push.local_objects(objects.local)}
        manifests |= index.load(repo).recorded_hashes("dir")
    if not wanted:
        print("nothing to push: the local cache is empty (gitops-ml run caches declared data)")
        return 0
    result = push.push(objects, wanted, manifests)
    if result.pushed:
        print(
            f"pushed {result.pushed} object(s), {result.bytes / 1e6:.1f} MB, to {remote.url}"
            f" ({result.present} already there)"
        )
    else:
        print(f"everything is already in {remote.url} ({result.present} object(s))")
    return 0
