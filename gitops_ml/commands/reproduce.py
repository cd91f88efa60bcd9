"""``gitops-ml reproduce RUN [--verify] [--tolerance METRIC=SPEC]... [--keep] [--json|--md]``

Exit 0 when the run reproduced (with ``--verify``: every metric within tolerance), 1 when
it did not, 2 for bad input (unknown run, a run with no command), 3 for environment
problems (data missing from cache and store, packages that cannot be installed).
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from gitops_ml.core import gitstore
from gitops_ml.reproduce.service import reproduce
from gitops_ml.reproduce.verify import Verdict
from gitops_ml.ui.render import print_json, stdout_to_stderr

HEADERS = ("metric", "expected", "got", "delta", "tolerance", "ok")


def rows(verdict: Verdict) -> list[list[str]]:
    """The verdict table: one row per metric, plus the exit code when it differs."""
    from gitops_ml.ui.render import fmt

    out = [
        [
            c.name,
            fmt(c.expected),
            "(missing)" if c.got is None and not c.ok else fmt(c.got),
            "-" if c.delta is None else f"{c.delta:+.6g}",
            c.tolerance,
            "yes" if c.ok else "NO",
        ]
        for c in verdict.metrics
    ]
    if verdict.expected_exit is not None and verdict.exit_code != verdict.expected_exit:
        out.append(
            ["(exit code)", str(verdict.expected_exit), str(verdict.exit_code), "-", "exact", "NO"]
        )
    return out


def output_rows(verdict: Verdict) -> list[list[str]]:
    return [
        [o.path, o.expected[:16], (o.got or "(missing)")[:16], "yes" if o.identical else "no"]
        for o in verdict.outputs
    ]


def _summary(verdict: Verdict) -> str:
    env = verdict.environment
    t = verdict.timings
    how = "reused" if env.get("reused") else f"built with {env.get('method')}"
    return (
        f"timings: environment {t.get('environment', 0):.2f} s ({how}), data {t.get('data', 0):.2f} s, "
        f"run {t.get('run', 0):.2f} s, total {t.get('total', 0):.2f} s"
    )


def _headline(verdict: Verdict) -> str:
    if verdict.ok:
        return f"run {verdict.run} reproduced by run {verdict.by}"
    return f"run {verdict.run} did NOT reproduce (re-run {verdict.by})"


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("run")
    p.add_argument(
        "--verify", action="store_true", help="compare metrics (exit 1 if outside tolerance)"
    )
    p.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="METRIC=SPEC",
        help="SPEC: exact, abs:X, rel:Y or rel:Y,abs:X (default: integers exact, "
        "other numbers rel:1e-9,abs:1e-12)",
    )
    p.add_argument("--keep", action="store_true", help="keep the worktree")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--md", action="store_true")


def main(args: argparse.Namespace) -> int:
    from gitops_ml.ui.render import md_table, print_table

    repo = gitstore.open_repo()
    quiet_stdout = args.json or args.md
    with stdout_to_stderr() if quiet_stdout else contextlib.nullcontext():
        verdict = reproduce(
            repo,
            args.run,
            verify=args.verify,
            tolerance_flags=args.tolerance,
            keep=args.keep,
            progress=not args.json,
        )
    failed = not verdict.ok if args.verify else verdict.exit_code != (verdict.expected_exit or 0)
    code = 1 if failed else 0
    if args.json:
        print_json(verdict.as_dict())
        return code
    if args.md:
        lines = [f"**{_headline(verdict)}**", "", md_table(HEADERS, rows(verdict))]
        if verdict.outputs:
            lines += [
                "",
                md_table(("output", "expected", "got", "identical"), output_rows(verdict)),
            ]
        print("\n".join(lines))
        print(_summary(verdict), file=sys.stderr)
        return code
    print(_headline(verdict))
    table = rows(verdict)
    if table:
        print_table(None, HEADERS, table)
    else:
        print("(the run recorded no metrics: nothing to compare)")
    if verdict.outputs:
        note = "" if verdict.outputs_must_match else " (verify_outputs: false, not failing)"
        print_table(
            f"outputs{note}", ("output", "expected", "got", "identical"), output_rows(verdict)
        )
    print(_summary(verdict), file=sys.stderr)
    return code
