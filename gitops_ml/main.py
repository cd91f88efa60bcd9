"""The ``gitops-ml`` command line: argument parsing and dispatch only.

Each subcommand lives in ``gitops_ml/commands/<module>.py`` with ``configure(parser)``
(its arguments) and ``main(args) -> int``. :data:`COMMANDS` is the one table of them: only
the invoked command's module is imported and only its parser is built, so ``--help``, the
hooks and ``run`` start fast. A new command is a new module plus one row here.

A command module may also offer ``quick(argv) -> int | None`` with ``QUICK_ARGS``, the
argument lists it takes: for those, it is asked first, before argparse is imported or
any parser built, and ``None`` from it means the usual path (``data status`` answers
this way when nothing changed). This module imports nothing else at the top for that.

Exit codes: 0 ok, 1 check failed, 2 usage or input error, 3 environment error, 130 Ctrl-C.
"""

from __future__ import annotations

import sys

from gitops_ml.core.errors import OK, USAGE
from gitops_ml.version import __version__

TYPE_CHECKING = False  # argparse, typing and collections cost ~5 ms: only where used
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import ModuleType

EPILOG = (
    "exit codes: 0 ok, 1 check failed, 2 usage/input error, 3 environment error, 130 interrupted"
)

# (words, module in gitops_ml.commands, one-line help), in the order --help lists them.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("init", "init", "configure this repository for gitops-ml"),
    ("run", "run", "run a command and record it as a run"),
    ("runs ls", "runs_ls", "list runs"),
    ("runs show", "runs_show", "show one run"),
    ("runs diff", "runs_diff", "compare two runs"),
    ("runs tag", "runs_tag", "add tags to a run (or --remove them): facts that travel with sync"),
    ("runs compact", "runs_compact", "move run refs into refs/gitops-ml/archive (sync does it)"),
    ("log", "log", "the branch's history with the runs made on each commit, best first"),
    ("migrate", "migrate", "bring a repository written by 0.1 to storage contract v2"),
    ("demo", "demo", "build the bundled example project and record runs in it"),
    ("lineage", "lineage", "where a file or hash came from"),
    ("data status", "data_status", "which declared data changed since the last run"),
    ("data push", "data_push", "upload cached data and outputs to the store remote"),
    ("data pull", "data_pull", "download and restore data (and outputs) of a run"),
    ("reproduce", "reproduce", "rebuild a run's code, data and environment and re-run it"),
    ("sync", "sync", "fetch, merge and push runs, notes and deploy refs"),
    ("deploy history", "deploy_history", "every deploy and rollback of an environment"),
    ("deploy", "deploy", "put a run in service in an environment, recorded in refs/deploy/ENV"),
    ("deployed", "deployed", "which run is in service, since when, by whom"),
    ("rollback", "rollback", "the run in service before, back in service (a new event)"),
    ("serve", "serve", "serve a run's model over HTTP, with Prometheus metrics and drift"),
    ("status", "status", "the newcomer's page: what was tried, what is best, what is deployed"),
    ("hook", "hook", "run a git hook's implementation (used by hooks/ scripts)"),
    ("ci runs", "ci_runs", "the runs a change (base..head) claims"),
    ("ci verify", "ci_verify", "reproduce claimed runs and/or retrain; compare with the base"),
    ("ci report", "ci_report", "render the check's report; post it on the pull request"),
    ("ci matrix", "ci_matrix", "the strategy.matrix JSON of the ci.grid in gitops-ml.yaml"),
    ("ci train", "ci_train", "record a run of the configured ci.train command (a grid job)"),
    ("ci best", "ci_best", "the best run made on a commit (the grid's result)"),
)
GROUPS = {
    "runs": "list, show and compare runs",
    "data": "data versioning: status, push, pull",
    "ci": "continuous integration: claimed runs, verify, report, grid matrix",
}


def _usage(group: str | None = None) -> str:
    lines = [
        "usage: gitops-ml [-h] [-V] [-C DIR] COMMAND ...",
        "",
        "Record, query, reproduce and ship ML runs inside git.",
        "",
        "commands:" if group is None else f"gitops-ml {group}: {GROUPS[group]}",
    ]
    seen: set[str] = set()
    for words, _, help_text in COMMANDS:
        first = words.split()[0]
        if group is None and first in GROUPS:
            if first not in seen:
                seen.add(first)
                lines.append(f"  {first:<18}{GROUPS[first]}")
            continue
        if group is None or first == group:
            lines.append(f"  {words:<18}{help_text}")
    lines += [
        "",
        "options:",
        "  -h, --help        show this help and exit",
        "  -V, --version     show the version and exit",
        "  -C DIR            run as if started in DIR",
        "",
        EPILOG,
    ]
    return "\n".join(lines) + "\n"


def _glue_dash_values(argv: Sequence[str]) -> list[str]:
    """``--sort -KEY`` as ``--sort=-KEY``: argparse would take ``-KEY`` for an option.

    Stops at ``--``, whose trailing arguments belong to a command.
    """
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg == "--sort" and i + 1 < len(out) and out[i + 1].startswith("-"):
            out[i : i + 2] = [f"--sort={out[i + 1]}"]
            break
    return out


def _split_globals(argv: list[str]) -> tuple[str | None, list[str]] | int:
    """Take ``-C DIR``, ``-V`` and ``-h`` before the command; an int is an exit code."""
    directory = None
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(_usage())
            return OK
        if arg in ("-V", "--version"):
            sys.stdout.write(f"gitops-ml {__version__}\n")
            return OK
        if arg == "-C" and i + 1 < len(argv):
            directory, i = argv[i + 1], i + 2
            continue
        if arg.startswith("-C") and len(arg) > 2:
            directory, i = arg[2:], i + 1
            continue
        sys.stderr.write(f"gitops-ml: error: unknown option {arg}\n{_usage()}")
        return USAGE
    return directory, argv[i:]


def _find(rest: list[str]) -> tuple[str, str, str, list[str]] | int:
    """The command named at the start of ``rest``: (words, module, help, its arguments)."""
    if not rest:
        sys.stderr.write(_usage())
        return USAGE
    for words, module, help_text in COMMANDS:
        n = len(words.split())
        if rest[:n] == words.split():
            return words, module, help_text, rest[n:]
    if rest[0] in GROUPS:
        wants_help = rest[1:2] in (["-h"], ["--help"])
        (sys.stdout if wants_help else sys.stderr).write(_usage(rest[0]))
        return OK if wants_help else USAGE
    sys.stderr.write(f"gitops-ml: error: unknown command '{rest[0]}'\n{_usage()}")
    return USAGE


def _command(module: str) -> ModuleType:
    """``gitops_ml.commands.<module>``, imported (``__import__``: no importlib)."""
    name = f"gitops_ml.commands.{module}"
    __import__(name)
    return sys.modules[name]


def build_parser(words: str) -> tuple[argparse.ArgumentParser, str]:
    """The parser of one command (``words`` as in :data:`COMMANDS`) and its module name."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            self.exit(2, f"{self.prog}: error: {message}\n")

    for w, module, help_text in COMMANDS:
        if w == words:
            parser = _Parser(prog=f"gitops-ml {words}", description=help_text, epilog=EPILOG)
            _command(module).configure(parser)
            return parser, module
    raise KeyError(words)


def _chdir(directory: str) -> None:
    import os

    try:
        os.chdir(directory)
    except OSError as exc:
        from gitops_ml.core.errors import UsageError

        raise UsageError(f"-C {directory}: {exc.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    from gitops_ml.ui.error_handler import handle_errors

    with handle_errors() as outcome:
        outcome.code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe is reported here, inside the handler
    return outcome.code


def _dispatch(argv: list[str]) -> int:
    """Global options, the command's parser and its ``main``; the exit code."""
    split = _split_globals(argv)
    if isinstance(split, int):
        return split
    directory, rest = split
    found = _find(rest)
    if isinstance(found, int):
        return found
    words, module_name, _, tail = found
    module = _command(module_name)
    moved = False
    if tuple(tail) in getattr(module, "QUICK_ARGS", ()):
        # arguments the parser takes as they are: -C next, as after parsing
        if directory:
            _chdir(directory)
            moved = True
        code = module.quick(tail)
        if code is not None:
            return int(code)
    parser, _ = build_parser(words)
    if words not in ("run", "hook"):
        tail = _glue_dash_values(tail)
    args = parser.parse_args(tail)
    args.command, args.directory = words, directory
    if directory and not moved:
        _chdir(directory)
    return int(module.main(args))


def cli() -> int:
    """The ``gitops-ml`` console script: :func:`main`, then an exit without the
    interpreter's teardown.

    Freeing every module and object at exit costs ~7 ms, 8 % of a ``run`` or a
    ``data status``, and changes nothing on disk. What a normal exit does that matters is
    done first: ``atexit`` handlers run (the shared ``cat-file`` is closed, coverage
    saved, ``weakref.finalize`` cleanups run) and stdout/stderr are flushed. With a
    non-daemon thread still running, or an output that cannot be flushed, the normal exit
    is taken (it joins the thread, reports the broken pipe).
    """
    code = main()
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
            return code
    import atexit
    import os

    atexit._run_exitfuncs()  # runs each handler once and clears them
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return code
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(cli())
