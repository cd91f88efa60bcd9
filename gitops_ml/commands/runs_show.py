"""``gitops-ml runs show RUN [--json]``"""

from __future__ import annotations

import argparse
import json
import shlex

from gitops_ml.core import gitstore
from gitops_ml.runs import index, runstatus
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def render(rec: dict[str, Any]) -> str:
    from gitops_ml.ui.render import fmt

    git = rec.get("git") or {}
    env = rec.get("environment") or {}
    user = rec.get("user") or {}
    lines = [
        f"run       {rec['id']}" + (f"  ({rec['name']})" if rec.get("name") else ""),
        f"status    {runstatus.status(rec)}",
        f"command   {shlex.join(rec.get('command') or []) or '-'}   (in {rec.get('cwd', '.')})",
        f"who       {user.get('name', '?')} <{user.get('email', '?')}> on {rec.get('host', '?')}",
        f"when      {rec.get('started')} .. {rec.get('ended')} ({fmt(rec.get('duration'))} s)",
        f"code      snapshot {git.get('snapshot', '-')} on {git.get('base') or '(no commit yet)'}"
        f" [{git.get('branch') or 'detached'}]{' with uncommitted changes' if git.get('dirty') else ''}",
        f"env       Python {env.get('python')} {env.get('platform')}, fingerprint {env.get('fingerprint')}"
        + (f", lockfile {env['lockfile']['path']}" if env.get("lockfile") else ""),
    ]
    tags = runstatus.tags(rec)
    if tags:
        lines.append(f"tags      {', '.join(tags)}")
    for title, part in (("params", "params"), ("metrics", "metrics"), ("seeds", "seeds")):
        values = rec.get(part) or {}
        if values:
            lines.append(f"{title}:")
            lines += [f"  {k} = {fmt(v)}" for k, v in values.items()]
    for title, part in (("data", "data"), ("outputs", "outputs"), ("artifacts", "artifacts")):
        for i, item in enumerate(rec.get(part) or []):
            if i == 0:
                lines.append(f"{title}:")
            lines.append(f"  {item['path']}  {item['hash'][:16]}  {item.get('size', 0)} bytes")
    for item in rec.get("skipped") or []:
        lines.append(f"left out of snapshot: {item['path']} ({item['size']} bytes)")
    for fact in rec.get("notes") or []:
        lines.append(f"note: {json.dumps(fact, sort_keys=True)}")
    lines.append(f"reproduce: gitops-ml reproduce {rec['id']} --verify")
    return "\n".join(lines)


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("run", help="run id or unique prefix")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    rec = index.full_record(repo, args.run)
    if args.json:
        print_json(rec)
    else:
        print(render(rec))
    return 0
