"""``gitops-ml ci verify``: reproduce what a change claims and/or retrain, compare with the base.

``--mode claimed`` (default) reproduces each claimed run with ``reproduce --verify``;
``retrain`` records the configured ``ci.train`` command on the head (tagged ``ci``);
``both`` does both. Either way the change's best run is compared with the base branch's
best on the primary metric (``ci.allowed_regression``).

Exit codes: 0 the check passed; 1 it failed (a run did not reproduce, a claimed run is
unverifiable, the model got worse); 2 bad input; 3 environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitops_ml.ci import check, report
from gitops_ml.ci.settings import load as load_settings
from gitops_ml.commands.ci_runs import revisions
from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.ui.render import stdout_to_stderr


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--base", help="the base revision (default: the pull request's base)")
    p.add_argument("--head", help="the head revision (default: the pull request's head, else HEAD)")
    p.add_argument("--mode", choices=check.MODES, default="claimed", help="what to verify")
    p.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="METRIC=abs:X|rel:Y",
        help="a tolerance for reproduce --verify (repeatable)",
    )
    p.add_argument("--out", metavar="FILE", help="also write the result (JSON) to FILE")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the result as JSON")
    out.add_argument("--md", action="store_true", help="print the report as Markdown")


def _log(message: str) -> None:
    print(f"gitops-ml: {message}", file=sys.stderr, flush=True)


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    cfg = config.load(repo.top)
    settings = load_settings(cfg)
    base, head = revisions(args)
    try:
        with stdout_to_stderr():  # the re-run and retrain output: stdout is the result
            result = check.check(
                repo,
                cfg,
                settings,
                base=base,
                head=head,
                mode=args.mode,
                tolerance_flags=args.tolerance,
                log=_log,
            )
    except GitopsError as exc:
        if args.out:  # the report still says what happened, and the status is a failure
            failed = check.could_not_run(args.mode, base, head, str(exc))
            Path(args.out).write_text(report.as_json(failed) + "\n", encoding="utf-8")
        raise
    if args.out:
        Path(args.out).write_text(report.as_json(result) + "\n", encoding="utf-8")
    if args.json:
        sys.stdout.write(report.as_json(result) + "\n")
    elif args.md:
        sys.stdout.write(report.markdown(result))
    else:
        state, description = report.state(result)
        print(f"gitops-ml ci verify: {state}: {description}")
        for line in result["failures"]:
            print(f"  - {line}")
    return 0 if result["ok"] else 1
