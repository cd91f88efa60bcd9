"""The command as a child process: its environment, starting it, signals, its exit code.

- SIGHUP (a closed terminal, a dropped ssh session) and SIGTERM are handled like Ctrl-C:
  while the command runs they are passed on to it and the run is recorded once it ends;
  before it starts they interrupt the run (params files restored, nothing recorded); while
  the run is being written they wait until it is written.
- ``import gitops_ml`` works in the command even when the Python it runs under has no
  gitops-ml installed (gitops-ml installed with pipx, the project in its own venv): a
  directory holding only a link to this gitops-ml package (and to ``blake3``, its one
  compiled dependency the in-run API uses, when the Python versions match) is put on the
  command's ``PYTHONPATH``. An interpreter that has gitops-ml itself gets nothing.
- Params reach the command as a file (``GITOPS_ML_PARAMS_FILE``), never as one huge
  environment variable (the kernel refuses a single string over 128 KiB).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from types import FrameType

SHIM = "api-shim"
_HANDLED = ("SIGTERM", "SIGHUP")


class Signals:
    """SIGTERM and SIGHUP during a run (installed in the main thread only)."""

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.deferred: int | None = None  # a signal that came while it could not be acted on
        self.starting = False  # the command is being started
        self.writing = False  # the command has ended; the run is being written
        self._previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}

    def install(self) -> None:
        for name in _HANDLED:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave the process's handlers alone
                return

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)  # the command ends; the run is recorded
            return
        if self.starting or self.writing:
            self.deferred = signum  # passed on once the command runs / the run is written
            return
        raise KeyboardInterrupt  # before the command: interrupt like Ctrl-C

    def attach(self, proc: subprocess.Popen[bytes]) -> None:
        """The command runs: signals go to it (one that came while it started, now)."""
        self.child, self.starting = proc, False
        if self.deferred is not None:
            signum, self.deferred = self.deferred, None
            proc.send_signal(signum)

    def detach(self) -> None:
        """The command has ended: signals wait until the run is written."""
        self.child, self.writing = None, True


def start(
    command: list[str], cwd: Path, env: dict[str, str], *, stdout_to_stderr: bool = False
) -> subprocess.Popen[bytes]:
    """Start the command, or a one-line usage error (exit 2) when it cannot be executed."""
    try:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=sys.stderr.fileno() if stdout_to_stderr else None
        )
    except OSError as exc:  # not found, not executable, exec format error, bad cwd
        why = exc.strerror or str(exc)
        raise UsageError(f"cannot start {command[0]!r}: {why}") from None


def wait(proc: subprocess.Popen[bytes]) -> int:
    """The command's exit code (a signal ``n`` as ``128 + n``); Ctrl-C waits for it."""
    while True:
        try:
            code = proc.wait()
            break
        except KeyboardInterrupt:
            # The child got the same SIGINT from the terminal; wait for it to end.
            continue
    return 128 - code if code < 0 else code


def api_shim(state_dir: Path, *, blake3: bool) -> Path:
    """A directory that makes this gitops-ml importable (see the module docs); with
    ``blake3``, this interpreter's blake3 too (only for a Python of the same version that
    lacks it)."""
    import importlib.util

    import gitops_ml

    shim = state_dir / (SHIM + ("-blake3" if blake3 else ""))
    shim.mkdir(parents=True, exist_ok=True)
    _link(Path(gitops_ml.__file__).resolve().parent, shim / "gitops_ml")
    spec = importlib.util.find_spec("blake3") if blake3 else None
    if spec is not None and spec.origin:
        origin = Path(spec.origin).resolve()
        if origin.name.startswith("__init__."):  # a package: link its folder
            _link(origin.parent, shim / "blake3")
        else:  # a single extension module (its name carries the Python version)
            _link(origin, shim / origin.name)
    return shim


def _link(target: Path, link: Path) -> None:
    try:
        if link.is_symlink() and os.readlink(link) == str(target):
            return
    except OSError:
        pass
    with atomic_path(link) as tmp:
        tmp.symlink_to(target, target_is_directory=target.is_dir())


def with_shim(env: dict[str, str], shim: Path) -> None:
    """Append ``shim`` to ``PYTHONPATH`` in ``env`` (the command's own paths come first)."""
    current = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = f"{current}{os.pathsep}{shim}" if current else str(shim)
