"""``gitops-ml ci best [--commit REV] [--tag TAG] [--json]``: the best run on the primary metric.

Among the successful runs made on ``--commit`` (default HEAD) carrying ``--tag`` (e.g. the
``grid`` jobs'): what the grid workflow's last job reports. ``--github-output NAME``
writes its id to ``$GITHUB_OUTPUT``; ``--summary`` a table to the job summary.
Exit codes: 0 found; 1 no run with the primary metric; 2 bad input (no primary metric).
"""

from __future__ import annotations

import argparse
import sys

from gitops_ml.ci import check, claims, report
from gitops_ml.ci.settings import load as load_settings
from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import CHECK_FAILED, OK, UsageError
from gitops_ml.runs import index
from gitops_ml.ui.render import fmt, md_table, print_json


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--commit", default="HEAD", help="runs made on this commit (default HEAD)")
    p.add_argument("--tag", help="only runs with this tag")
    p.add_argument("--json", action="store_true", help="print the runs as JSON, best first")
    p.add_argument("--github-output", metavar="NAME", help="write NAME=<run id> to $GITHUB_OUTPUT")
    p.add_argument("--summary", action="store_true", help="append a table to the job summary")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    settings = load_settings(config.load(repo.top))
    metric = settings.metric
    if not metric:
        raise UsageError("no primary metric: set primary (or ci.primary) in gitops-ml.yaml")
    sha = claims.rev(repo, args.commit)
    runs = [
        r
        for r in index.load(repo, quiet=True).iter_runs(made_on=[sha])
        if (r.get("git") or {}).get("base") == sha
        and r.get("exit_code") == 0
        and (args.tag is None or args.tag in (r.get("tags") or []))
        and check.number((r.get("metrics") or {}).get(metric)) is not None
    ]
    runs.sort(key=lambda r: float(r["metrics"][metric]), reverse=settings.higher_is_better)
    if args.json:
        print_json([check.summary(r, metric) for r in runs])
    if not runs:
        print(f"gitops-ml: no run on {sha[:12]} recorded {metric}", file=sys.stderr)
        return CHECK_FAILED
    top = runs[0]
    if not args.json:
        print(
            f"best of {len(runs)} runs on {sha[:12]}: {top['id']} {metric}={fmt(top['metrics'][metric])}"
        )
    if args.github_output:
        from gitops_ml.github.context import write_output

        write_output(args.github_output, top["id"])
    if args.summary:
        from gitops_ml.github.context import write_summary

        rows = [
            [
                report.run_id(r["id"]),
                report.text(r.get("name") or ""),
                report.text(fmt(r["metrics"][metric])),
            ]
            for r in runs
        ]
        write_summary(
            f"### gitops-ml grid: {len(runs)} runs, best {report.run_id(top['id'])}\n\n"
            + md_table(["run", "name", report.text(metric)], rows)
            + "\n"
        )
    return OK
