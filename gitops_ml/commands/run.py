"""``gitops-ml run [-n NAME] [-p KEY=VALUE]... [-t TAG]... [--isolated] -- CMD...``"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core.errors import UsageError
from gitops_ml.core.params import parse_assignment
from gitops_ml.runs.console import say
from gitops_ml.runs.recorder import RunSpec, run_command


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.usage = "gitops-ml run [-n NAME] [-p KEY=VALUE]... [-t TAG]... [--isolated] -- CMD..."
    p.add_argument("-n", "--name", help="a name for the run")
    p.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a param (written into the params file for the run)",
    )
    p.add_argument("-t", "--tag", action="append", default=[], help="tag the run (repeatable)")
    p.add_argument(
        "--isolated",
        action="store_true",
        help="run in a temporary worktree of the snapshot (parallel-safe)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the record as JSON on stdout (the command's stdout goes to stderr)",
    )
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")


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
        stdout_to_stderr=args.json,
    )
    code, rec = run_command(spec)
    # The run is recorded: a reader that went away (| head) changes nothing of that.
    if args.json:
        from gitops_ml.ui.render import print_json  # ~1 ms (shlex, math): only for --json

        try:
            print_json(rec)
            sys.stdout.flush()
        except (OSError, ValueError):
            _drop_stdout()
    else:
        metrics = ", ".join(f"{k}={v}" for k, v in rec["metrics"].items())
        status = "ok" if code == 0 else f"exit {code}"
        say(f"gitops-ml: recorded run {rec['id']} ({status}){': ' + metrics if metrics else ''}")
    return code


def _drop_stdout() -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed stdout
