"""``gitops-ml runs show RUN [--json]``"""

from __future__ import annotations

import argparse

from gitops_ml.core import gitstore
from gitops_ml.runs import index, runstatus
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def describe_fact(fact: dict[str, Any]) -> str:
    """One notes fact for people: its type, then ``key=value`` pairs (values shortened)."""
    from gitops_ml.ui.render import fmt

    kind = str(fact.get("type") or "fact")
    parts = []
    for key in sorted(k for k in fact if k != "type"):
        value = fmt(fact[key])
        parts.append(f"{key}={value if len(value) <= 80 else value[:79] + '…'}")
    return " ".join([kind, *parts])


def _c(value: Any) -> str:
    from gitops_ml.ui.render import clean, fmt

    return clean(value if isinstance(value, str) else fmt(value))


def _m(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _header(rec: dict[str, Any]) -> list[str]:
    from gitops_ml.ui.render import fmt, shell_command

    git, env, user = _m(rec.get("git")), _m(rec.get("environment")), _m(rec.get("user"))
    lockfile = _m(env.get("lockfile"))
    command = [str(w) for w in rec.get("command") or []]
    c = _c
    return [
        f"run       {rec['id']}" + (f"  ({c(rec['name'])})" if rec.get("name") else ""),
        f"status    {c(runstatus.status(rec))}",
        f"command   {shell_command(command) if command else '-'}   (in {c(rec.get('cwd', '.'))})",
        f"who       {c(user.get('name', '?'))} <{c(user.get('email', '?'))}> on {c(rec.get('host', '?'))}",
        f"when      {c(rec.get('started'))} .. {c(rec.get('ended'))} ({fmt(rec.get('duration'))} s)",
        f"code      snapshot {c(git.get('snapshot', '-'))} on {c(git.get('base') or '(no commit yet)')}"
        f" [{c(git.get('branch') or 'detached')}]"
        + (" with uncommitted changes" if git.get("dirty") else ""),
        f"env       Python {c(env.get('python'))} {c(env.get('platform'))}, "
        f"fingerprint {c(env.get('fingerprint'))}"
        + (f", lockfile {c(lockfile.get('path'))}" if lockfile else ""),
    ]


def _values(rec: dict[str, Any]) -> list[str]:
    from gitops_ml.ui.render import fmt

    lines = []
    for part in ("params", "metrics", "seeds"):
        values = _m(rec.get(part))
        if values:
            lines.append(f"{part}:")
            lines += [f"  {_c(k)} = {_c(fmt(v))}" for k, v in values.items()]
    for part in ("data", "outputs", "artifacts"):
        items = [i for i in rec.get(part) or [] if isinstance(i, dict)]
        lines += [f"{part}:"] if items else []
        lines += [
            f"  {_c(i.get('path'))}  {_c(str(i.get('hash') or '-')[:16])}  {_c(i.get('size', 0))} bytes"
            for i in items
        ]
    lines += [
        f"left out of snapshot: {_c(i.get('path'))} ({_c(i.get('size'))} bytes)"
        for i in rec.get("skipped") or []
        if isinstance(i, dict)
    ]
    return lines


def render(rec: dict[str, Any]) -> str:
    """The run for people: every value cleaned of terminal control characters."""
    from gitops_ml.ui.render import clean, shell_command

    lines = _header(rec)
    tags = runstatus.tags(rec)
    if tags:
        lines.append(f"tags      {', '.join(_c(t) for t in tags)}")
    lines += _values(rec)
    facts = [f for f in rec.get("notes") or [] if isinstance(f, dict)]
    if facts:
        lines.append("notes:")
        lines += [f"  {clean(describe_fact(f))}" for f in facts]
    lines.append(f"reproduce: {shell_command(['gitops-ml', 'reproduce', rec['id'], '--verify'])}")
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
