"""``gitops-ml ci train [-p KEY=VALUE]... [-n NAME] [--isolated]``: record a run of ``ci.train``.

The configured training command (``ci.train`` in gitops-ml.yaml), recorded as a run with
the given params and tags: what each job of the grid workflow runs. Exits with the
command's exit code.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from gitops_ml.ci.settings import load as load_settings
from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.core.params import parse_assignment
from gitops_ml.runs.recorder import RunSpec, run_command


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("-n", "--name", help="a name for the run")
    p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-t", "--tag", action="append", default=[], help="tag the run (repeatable)")
    p.add_argument(
        "--params-lines",
        metavar="TEXT",
        help="params as KEY=VALUE lines (what `ci matrix` gives each job)",
    )
    p.add_argument(
        "--command",
        dest="command_line",
        metavar="TEXT",
        help="a command line to record instead of ci.train (split like a shell, not run by one)",
    )
    p.add_argument("--isolated", action="store_true", help="run in a temporary worktree")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    settings = load_settings(cfg)
    command = settings.train
    if args.command_line:
        try:
            command = shlex.split(args.command_line)
        except ValueError as exc:
            raise UsageError(f"--command: not a valid command line: {exc}") from None
    if not command:
        raise UsageError("no training command: set ci.train in gitops-ml.yaml (or --command)")
    items = list(args.param)
    if args.params_lines:
        # the grid's keys are declared in gitops-ml.yaml (ci.grid): added when missing (+KEY)
        lines = [ln.strip() for ln in args.params_lines.splitlines() if ln.strip()]
        items += [ln if ln.startswith("+") else f"+{ln}" for ln in lines]
    overrides = dict(parse_assignment(p) for p in items)
    spec = RunSpec(
        list(command),
        name=args.name,
        overrides=overrides,
        tags=list(args.tag),
        isolated=args.isolated,
    )
    code, rec = run_command(spec, repo=repo, cfg=cfg)
    print(f"gitops-ml: recorded run {rec['id']} (exit {code})", file=sys.stderr)
    return code
