"""``gitops-ml lineage PATH|HASH [--json]`` and ``gitops-ml lineage --runs-using PATH|HASH``.

Answers from git and the local index alone (offline).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import CHECK_FAILED, OK, UsageError
from gitops_ml.runs import lineage
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


def _print_consumers(t: lineage.Trace) -> None:
    shown = t.path or t.digest
    if not t.runs:
        print(f"no recorded run used {shown} ({t.digest[:16]})")
        return
    print(f"{len(t.runs)} run(s) used {shown} ({t.digest[:16]}):")
    for r in t.runs:
        metrics = json.dumps(r.get("metrics"), sort_keys=True)
        print(f"  {r['id']}  {r.get('name') or ''}  {r['status']}  {metrics}")


def _print_producers(repo: gitstore.Repo, t: lineage.Trace) -> None:
    print(f"{t.path or t.digest}  blake3 {t.digest}")
    for i, r in enumerate(t.runs):
        if i:
            print("also produced by:")
        _print_provenance(lineage.provenance(r, repo))


def show(
    repo: gitstore.Repo, target: str, *, runs_using: bool = False, as_json: bool = False
) -> int:
    """Print the lineage of ``target`` (or, with ``runs_using``, the runs that used it).

    Returns the exit code: 1 when no run produced ``target`` (``runs_using``: always 0).
    """
    t = lineage.trace(repo, target, runs_using=runs_using)
    key = "runs" if runs_using else "produced_by"
    if as_json:
        provenance = [lineage.provenance(r, repo) for r in t.runs]
        print_json({"hash": t.digest, "path": t.path, key: provenance})
    elif runs_using:
        _print_consumers(t)
    elif t.runs:
        _print_producers(repo, t)
    else:
        shown = t.path or t.digest
        print(f"{shown}: no recorded run produced this content ({t.digest[:16]})", file=sys.stderr)
    return OK if t.runs or runs_using else CHECK_FAILED


def main(args: argparse.Namespace) -> int:
    target = args.runs_using or args.target
    if not target:
        raise UsageError("lineage needs a PATH or HASH (or --runs-using PATH|HASH)")
    return show(gitstore.open_repo(), target, runs_using=bool(args.runs_using), as_json=args.json)
