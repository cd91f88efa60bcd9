"""``gitops-ml data push [RUN...]``: upload cached data and outputs to the ``store`` remote."""

from __future__ import annotations

import argparse

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

NO_STORE = (
    "no data store configured: add 'store: <path or URL>' (e.g. s3://bucket/prefix) "
    "to gitops-ml.yaml"
)


def run_entries(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a run recorded by hash: data, outputs and artifacts."""
    return [
        e for part in ("data", "outputs", "artifacts") for e in rec.get(part) or [] if e.get("hash")
    ]


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("runs", nargs="*", help="only what these runs used (default: everything cached)")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.data import store
    from gitops_ml.data.cache import LocalStore

    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    remote = store.remote_store(cfg, repo.top)
    if remote is None:
        raise UsageError(NO_STORE)
    objects = store.Objects(repo, LocalStore(repo.state_dir), remote)
    if args.runs:
        entries = [e for prefix in args.runs for e in run_entries(index.full_record(repo, prefix))]
        wanted, manifests = store.entry_objects(objects, entries)
    else:
        wanted = {d: "cached object" for d in store.local_objects(objects.local)}
        manifests = {
            e["hash"]
            for rec in index.load(repo).runs()
            for e in run_entries(rec)
            if e.get("kind") == "dir"
        }
    if not wanted:
        print("nothing to push: the local cache is empty (gitops-ml run caches declared data)")
        return 0
    result = store.push(objects, wanted, manifests)
    if result.pushed:
        print(
            f"pushed {result.pushed} object(s), {result.bytes / 1e6:.1f} MB, to {remote.url}"
            f" ({result.present} already there)"
        )
    else:
        print(f"everything is already in {remote.url} ({result.present} object(s))")
    return 0
