"""``gitops-ml runs diff A B [--json|--md]``: params, metrics with deltas, code, data, environment."""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import gitstore
from gitops_ml.runs import index
from gitops_ml.runs.compare import compare
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from gitops_ml.runs.compare import Diff


def _sections(d: Diff) -> list[tuple[str, int, list[str], list[list[str]]]]:
    """``(title, how many changed, headers, rows)`` per section."""
    from gitops_ml.runs.compare import changed_metrics
    from gitops_ml.ui.render import fmt

    def n(v: int) -> str:
        return "bin" if v < 0 else str(v)

    return [
        (
            "params",
            len(d["params"]),
            ["param", "a", "b"],
            [[p["key"], fmt(p["a"]), fmt(p["b"])] for p in d["params"]],
        ),
        (
            "metrics",
            changed_metrics(d),
            ["metric", "a", "b", "delta"],
            [[m["key"], fmt(m["a"]), fmt(m["b"]), m["delta"]] for m in d["metrics"]],
        ),
        (
            "code",
            len(d["code"]),
            ["file", "+", "-"],
            [[c["path"], n(c["added"]), n(c["deleted"])] for c in d["code"]],
        ),
        (
            "data",
            len(d["data"]),
            ["path", "a", "b"],
            [[x["path"], fmt(x["a"])[:16], fmt(x["b"])[:16]] for x in d["data"]],
        ),
        (
            "environment",
            len(d["environment"]),
            ["what", "a", "b"],
            [[e["key"], fmt(e["a"]), fmt(e["b"])] for e in d["environment"]],
        ),
        (
            "packages",
            len(d["packages"]),
            ["package", "a", "b"],
            [[p["key"], fmt(p["a"]), fmt(p["b"])] for p in d["packages"]],
        ),
    ]


def _summary(count: int, rows: int) -> str:
    if count:
        return f"{count} changed"
    return "no change" + (f" ({rows} the same)" if rows else "")


def render_md(d: Diff) -> str:
    """The diff as Markdown (a PR comment): one section per part, a table where rows exist."""
    from gitops_ml.ui.render import md_table

    out = [f"### Runs `{d['a']}` vs `{d['b']}`"]
    for title, count, headers, rows in _sections(d):
        line = f"\n**{title}**: {_summary(count, len(rows))}"
        if rows and (count or title == "metrics"):
            line += "\n\n" + md_table(headers, rows)
        out.append(line)
    return "\n".join(out) + "\n"


def render_terminal(d: Diff) -> None:
    """The diff as tables on stdout."""
    from gitops_ml.ui.render import print_table

    print(f"a = {d['a']}\nb = {d['b']}")
    for title, count, headers, rows in _sections(d):
        print()
        if rows and (count or title == "metrics"):
            print_table(f"{title}: {_summary(count, len(rows))}", headers, rows)
        else:
            print(f"{title}: {_summary(count, len(rows))}")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("a")
    p.add_argument("b")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--md", action="store_true", help="Markdown tables (for a PR comment)")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    a = index.full_record(repo, args.a)
    b = index.full_record(repo, args.b)
    d = compare(repo, a, b)
    if args.json:
        print_json(d)
    elif args.md:
        sys.stdout.write(render_md(d))
    else:
        render_terminal(d)
    return 0
