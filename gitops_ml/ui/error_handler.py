"""Turn every failure into one line on stderr and a documented exit code.

A :class:`~gitops_ml.core.errors.GitopsError` prints its message; Ctrl-C exits 130; anything
unexpected prints one line and exits 3, with versions and the traceback written to a log
file (``$XDG_CACHE_HOME/gitops-ml/gitops-ml.log``), never to the terminal.
"""

from __future__ import annotations

import os
import sys

from gitops_ml.core.errors import ENVIRONMENT, INTERRUPTED, OK, GitopsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

# Every command and hook passes through here: it imports nothing heavy (traceback,
# pathlib and dataclasses would add ~10 ms to each start).


class Outcome:
    """The exit code a command ends with."""

    def __init__(self, code: int = OK) -> None:
        self.code = code


def log_path() -> Path:
    """``$XDG_CACHE_HOME/gitops-ml/gitops-ml.log``: where unexpected errors are detailed."""
    from gitops_ml.core.xdg import cache_root

    return cache_root() / "gitops-ml.log"


def _log_unexpected(exc: BaseException) -> Path | None:
    import platform

    from gitops_ml.version import __version__

    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(
                f"### gitops-ml {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
            )
            fh.write(f"argv: {sys.argv!r}\n")
            import traceback

            fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            fh.write("\n")
    except OSError:
        return None
    return path


class handle_errors:
    """The command's body inside; its failure as one line and an exit code (module docs).

    A class rather than a ``contextlib`` generator: contextlib's import (with
    collections and functools) costs ~1.5 ms of every command's start.
    """

    def __init__(self) -> None:
        self.outcome = Outcome()

    def __enter__(self) -> Outcome:
        return self.outcome

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        outcome = self.outcome
        if exc is None:
            return False
        if isinstance(exc, GitopsError):
            print(f"gitops-ml: error: {exc}", file=sys.stderr)
            outcome.code = exc.code
        elif isinstance(exc, KeyboardInterrupt):
            print("gitops-ml: interrupted", file=sys.stderr)
            outcome.code = INTERRUPTED
        elif isinstance(exc, BrokenPipeError):
            # stdout closed early (| head): not an error of ours.
            import contextlib

            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            outcome.code = OK
        elif isinstance(exc, Exception):
            where = _log_unexpected(exc)
            more = f" (details in {where})" if where else ""
            print(
                f"gitops-ml: unexpected error: {type(exc).__name__}: {exc}{more}", file=sys.stderr
            )
            outcome.code = ENVIRONMENT
        else:
            return False  # SystemExit and the like go on
        return True
