"""Messages from a run to the terminal that can never lose the run.

``gitops-ml run -- cmd 2>&1 | head -3`` closes gitops-ml's stderr while the command still
runs; a closed terminal (SIGHUP) makes every write fail. Recording must not depend on
being able to print, so every message of the recording path goes through :func:`warn`
and :func:`say`, which drop what cannot be written.
"""

from __future__ import annotations

import contextlib
import sys


def say(message: str) -> None:
    """One line on stderr, or nothing when stderr is gone."""
    # a closed pipe or terminal, a closed file object
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """``gitops-ml: warning: ...`` on stderr, or nothing when stderr is gone."""
    say(f"gitops-ml: warning: {message}")


def printable(path: str) -> str:
    """A path as shown in a message: quoted when it holds control characters."""
    return path if path.isprintable() else repr(path)
