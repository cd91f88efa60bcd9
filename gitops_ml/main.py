"""The ``gitops-ml`` command line: argument parsing and dispatch only.

Each subcommand lives in ``gitops_ml/commands/<name>.py`` as ``main(args) -> int`` and is
imported only when it runs, so ``--help`` and the hooks start fast.

Exit codes: 0 ok, 1 check failed, 2 usage or input error, 3 environment error, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gitops_ml.version import __version__

EPILOG = (
    "exit codes: 0 ok, 1 check failed, 2 usage/input error, 3 environment error, 130 interrupted"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gitops-ml",
        description="Record, query, reproduce and ship ML runs inside git.",
        epilog=EPILOG,
    )
    parser.add_argument("-V", "--version", action="version", version=f"gitops-ml {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("init", help="configure this repository for gitops-ml")
    p.add_argument(
        "--hooks", action="store_true", help="install the plain git hooks (chaining existing ones)"
    )
    p.add_argument(
        "--pre-commit", action="store_true", help="write or extend .pre-commit-config.yaml"
    )
    p.add_argument(
        "--pre-commit-repo",
        metavar="URL",
        help="install the hooks from this gitops-ml repository (default: 'repo: local' hooks "
        "running the installed gitops-ml commands)",
        default=None,
    )
    p.add_argument(
        "--pre-commit-rev", metavar="REV", help="the tag or commit to pin (default: v<version>)"
    )

    p = sub.add_parser(
        "run",
        help="run a command and record it as a run",
        epilog=EPILOG,
        usage="gitops-ml run [-n NAME] [-p KEY=VALUE]... [-t TAG]... [--isolated] -- CMD...",
    )
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
    _json_flag(p)
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")

    runs = sub.add_parser("runs", help="list, show and compare runs")
    rsub = runs.add_subparsers(dest="runs_command", metavar="SUBCOMMAND", parser_class=_Parser)
    p = rsub.add_parser("ls", help="list runs")
    p.add_argument("--where", help="filter, e.g. 'metrics.accuracy>=0.9 and params.lr<0.5'")
    p.add_argument("--sort", metavar="[-]KEY", help="sort by KEY (prefix - for descending)")
    p.add_argument("--limit", type=int, help="show at most N runs")
    p.add_argument("--here", action="store_true", help="only runs made on the current HEAD commit")
    _json_flag(p)
    p = rsub.add_parser("show", help="show one run")
    p.add_argument("run", help="run id or unique prefix")
    _json_flag(p)
    p = rsub.add_parser("diff", help="compare two runs")
    p.add_argument("a")
    p.add_argument("b")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--md", action="store_true", help="Markdown tables (for a PR comment)")

    p = sub.add_parser("demo", help="build the bundled example project and record runs in it")
    p.add_argument(
        "dir",
        nargs="?",
        default=None,
        help="where to create it (default: a new temporary directory)",
    )

    p = sub.add_parser("lineage", help="where a file or hash came from")
    p.add_argument("target", nargs="?", help="a file path or content hash")
    p.add_argument(
        "--runs-using", metavar="PATH|HASH", help="list the runs that consumed this data"
    )
    _json_flag(p)

    p = sub.add_parser("data", help="data versioning: status, push, pull")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=_Parser)
    dp = dsub.add_parser("status", help="which declared data changed since the last run")
    _json_flag(dp)
    dp = dsub.add_parser("push", help="upload cached data and outputs to the store remote")
    dp.add_argument(
        "runs", nargs="*", help="only what these runs used (default: everything cached)"
    )
    dp = dsub.add_parser("pull", help="download and restore data (and outputs) of a run")
    dp.add_argument(
        "run", nargs="?", help="run id (default: the declared data as the last run used it)"
    )
    dp.add_argument("--outputs", action="store_true", help="restore the run's outputs too")

    p = sub.add_parser("reproduce", help="rebuild a run's code, data and environment and re-run it")
    p.add_argument("run")
    p.add_argument(
        "--verify", action="store_true", help="compare metrics (exit 1 if outside tolerance)"
    )
    p.add_argument("--tolerance", action="append", default=[], metavar="METRIC=abs:X|rel:Y")
    p.add_argument("--keep", action="store_true", help="keep the worktree")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--md", action="store_true")

    p = sub.add_parser("sync", help="fetch, merge and push runs, notes and deploy refs")
    p.add_argument("remote", nargs="?", default=None, help="the remote (default: origin)")

    p = sub.add_parser(
        "status", help="the newcomer's page: what was tried, what is best, what is deployed"
    )
    _json_flag(p)

    p = sub.add_parser("hook", help="run a git hook's implementation (used by hooks/ scripts)")
    p.add_argument("name")
    p.add_argument("hook_args", nargs=argparse.REMAINDER)
    return parser


_MODULES = {
    ("runs", "ls"): "runs_ls",
    ("runs", "show"): "runs_show",
    ("runs", "diff"): "runs_diff",
    ("data", "status"): "data_status",
    ("data", "push"): "data_push",
    ("data", "pull"): "data_pull",
}


def _glue_dash_values(argv: Sequence[str]) -> list[str]:
    """``--sort -KEY`` as ``--sort=-KEY``: argparse would take ``-KEY`` for an option.

    Stops at ``--`` and at ``run``/``hook``, whose trailing arguments belong to a command.
    """
    out = list(argv)
    for i, arg in enumerate(out):
        if arg in ("--", "run", "hook"):
            break
        if arg == "--sort" and i + 1 < len(out) and out[i + 1].startswith("-"):
            out[i : i + 2] = [f"--sort={out[i + 1]}"]
            break
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from gitops_ml.ui.error_handler import handle_errors

    parser = build_parser()
    args = parser.parse_args(_glue_dash_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 2
    sub = getattr(args, f"{args.command}_command", None)
    if args.command in ("runs", "data") and sub is None:
        parser.parse_args([args.command, "--help"])
        return 2
    name = _MODULES.get((args.command, sub), args.command) if sub else args.command
    with handle_errors() as outcome:
        if args.directory:
            import os

            try:
                os.chdir(args.directory)
            except OSError as exc:
                from gitops_ml.core.errors import UsageError

                raise UsageError(f"-C {args.directory}: {exc.strerror}") from None
        module = importlib.import_module(f"gitops_ml.commands.{name}")
        outcome.code = module.main(args)
    sys.stdout.flush()
    return outcome.code


if __name__ == "__main__":
    raise SystemExit(main())
