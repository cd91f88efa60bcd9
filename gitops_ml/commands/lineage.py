"""``gitops-ml lineage PATH|HASH [--json]`` and ``gitops-ml lineage --runs-using PATH|HASH``.

Answers from git and the local index alone (offline).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index, lineage, runstatus
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def _print_provenance(p: dict[str, Any]) -> None:
    user = p.get("user") or {}
    env = p.get("environment") or {}
    print(
        f"run       {p['run']}"
        + (f" ({p['name']})" if p.get("name") else "")
        + f"  [{p['status']}]"
    )
    print(
        f"code      snapshot {p['snapshot']} on {p['base'] or '(no commit)'} [{p['branch'] or 'detached'}]"
        + (" + uncommitted changes" if p.get("dirty") else "")
    )
    for d in p["data"]:
        print(f"data      {d['path']}  {d['hash']}")
    print(
        f"env       Python {env.get('python')} {env.get('platform')} fingerprint {env.get('fingerprint')}"
        + (f" lockfile {env['lockfile']['path']}" if env.get("lockfile") else "")
    )
    print(f"command   {shlex.join(p.get('command') or [])}")
    print(f"params    {json.dumps(p.get('params'), sort_keys=True)}")
    print(f"metrics   {json.dumps(p.get('metrics'), sort_keys=True)}")
    print(
        f"who/when  {user.get('name')} <{user.get('email')}> on {p.get('host')} at {p.get('started')}"
    )
    for dep in p["deploys"]:
        print(f"deployed  {json.dumps(dep, sort_keys=True)}")
    for ver in p["verifications"]:
        print(f"verified  {json.dumps(ver, sort_keys=True)}")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("target", nargs="?", help="a file path or content hash")
    p.add_argument(
        "--runs-using", metavar="PATH|HASH", help="list the runs that consumed this data"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    target = args.runs_using or args.target
    if not target:
        raise UsageError("lineage needs a PATH or HASH (or --runs-using PATH|HASH)")
    digest, rel = lineage.target_hash(repo, target)
    runs = index.load(repo).runs()
    for r in runs:
        r["status"] = runstatus.status(r)
    if args.runs_using:
        found = lineage.consumers(runs, digest)
        if args.json:
            print_json(
                {"hash": digest, "path": rel, "runs": [lineage.provenance(r) for r in found]}
            )
        elif not found:
            print(f"no recorded run used {rel or digest} ({digest[:16]})")
        else:
            print(f"{len(found)} run(s) used {rel or digest} ({digest[:16]}):")
            for r in found:
                print(
                    f"  {r['id']}  {r.get('name') or ''}  {r['status']}  {json.dumps(r.get('metrics'), sort_keys=True)}"
                )
        return 0
    found = lineage.producers(runs, digest)
    if args.json:
        print_json(
            {"hash": digest, "path": rel, "produced_by": [lineage.provenance(r) for r in found]}
        )
        return 0 if found else 1
    if not found:
        print(
            f"{rel or digest}: no recorded run produced this content ({digest[:16]})",
            file=sys.stderr,
        )
        return 1
    print(f"{rel or digest}  blake3 {digest}")
    for i, r in enumerate(found):
        if i:
            print("also produced by:")
        _print_provenance(lineage.provenance(r))
    return 0
