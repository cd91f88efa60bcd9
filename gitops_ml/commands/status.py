"""``gitops-ml status [--json]``: the newcomer's page.

What was tried (counts by person, failures), what is best by the primary metric, what is
deployed where, which verifications failed, the exact command to reproduce the best run,
and how to get everybody else's runs. Reads only local refs (run ``gitops-ml sync`` first
to see the others'). The page is computed by :mod:`gitops_ml.runs.overview`.
"""

from __future__ import annotations

import argparse

from gitops_ml.core import gitstore
from gitops_ml.runs.overview import gather
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def render(page: dict[str, Any]) -> str:
    """The page for people, every value from a record cleaned for the terminal."""
    from gitops_ml.ui.render import clean, fmt, plural, short_ids, table_lines

    out: list[str] = []
    if not page["runs"]:
        out.append("No runs yet. Record one: gitops-ml run -- python train.py")
    else:
        people = ", ".join(f"{clean(u)} ({n:,})" for u, n in page["by_user"].items())
        ok = page["runs"] - page["failed"]
        out.append(
            f"Runs: {page['runs']:,} ({ok:,} ok, {page['failed']:,} failed), "
            f"by {plural(len(page['by_user']), 'person', 'people')}: {people}"
        )
    out.append("")
    primary = page["primary"]
    if not primary:
        out.append(
            "Best runs: no primary metric; set 'primary:' in gitops-ml.yaml (e.g. accuracy or -loss)"
        )
    elif not page["best"]:
        out.append(
            f"Best runs: no successful run has the metric '{clean(primary.lstrip('-'))}' yet"
        )
    else:
        name = clean(primary.lstrip("-"))
        order = "lower" if primary.startswith("-") else "higher"
        short = short_ids([b["id"] for b in page["best"]])
        out.append(f"Best runs by {name} ({order} is better)")
        out += table_lines(
            ["run", "name", name, "user", "started", "status"],
            [
                [
                    short[b["id"]],
                    fmt(b["name"]),
                    fmt(b["metric"]),
                    fmt(b["user"]),
                    fmt(b["started"]),
                    b["status"],
                ]
                for b in page["best"]
            ],
        )
    out.append("")
    if not page["deployed"]:
        out.append(
            "Deployed: nothing yet (no refs/deploy/* in this clone; 'gitops-ml sync' fetches them)"
        )
    else:
        out.append("Deployed:")
        for d in page["deployed"]:
            what = f"run {d['run']}" if d["run"] else "nothing in service"
            last = "" if d["head_ok"] else f", the last failed: {d['summary']}"
            out.append(
                f"  {clean(d['environment'])}: {clean(what)} "
                f"({plural(d['deploys'], 'deploy')} in the chain{clean(last)}, "
                f"head {d['commit'][:12]})"
            )
    out.append("")
    fails = page["verification_failures"]
    if not fails:
        out.append("Open verification failures: none")
    else:
        out.append("Open verification failures (metrics did not reproduce):")
        for f in fails:
            by = f["verify"].get("by")
            out.append(
                f"  {f['run']}{' ' + clean(str(f['name'])) if f['name'] else ''}"
                + (f" (checked by run {clean(str(by))})" if by else "")
            )
    out.append("")
    if page["reproduce"]:
        which = "best" if page["best"] else "latest successful"
        out += [f"Reproduce the {which} run:", f"  {page['reproduce']}", ""]
    out += ["Get everybody's runs, notes and deploys:", f"  {page['sync']}"]
    return "\n".join(out)


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    page = gather(repo)
    if args.json:
        print_json(page)
    else:
        print(render(page))
    return 0
