"""``gitops-ml run [-n NAME] [-p KEY=VALUE]... [-t TAG]... [--isolated] -- CMD...``"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core.errors import UsageError
from gitops_ml.core.params import parse_assignment
from gitops_ml.runs.recorder import RunSpec, run_command
from gitops_ml.ui.render import print_json


def main(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise UsageError("no command given: gitops-ml run [options] -- CMD...")
    overrides = dict(parse_assignment(p) for p in args.param)
    spec = RunSpec(
        command=cmd,
        name=args.name,
        overrides=overrides,
        tags=list(args.tag),
        isolated=args.isolated,
    )
    code, rec = run_command(spec)
    if args.json:
        print_json(rec)
    else:
        metrics = ", ".join(f"{k}={v}" for k, v in rec["metrics"].items())
        status = "ok" if code == 0 else f"exit {code}"
        print(
            f"gitops-ml: recorded run {rec['id']} ({status}){': ' + metrics if metrics else ''}",
            file=sys.stderr,
        )
    return code
