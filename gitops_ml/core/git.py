"""Running the git CLI: the environment it gets, and its errors as one clear line."""

from __future__ import annotations

import os

from gitops_ml.core.errors import ENVIRONMENT, EnvironmentProblem, GitopsError, UsageError

TYPE_CHECKING = False  # subprocess, shutil and collections cost ~3 ms: only where used
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence

# What a repository is, in one rev-parse: top, git dir, common dir, prefix, object format.
REV_PARSE_REPO = (
    "rev-parse",
    "--show-toplevel",
    "--absolute-git-dir",
    "--git-common-dir",
    "--show-prefix",
    "--show-object-format",
)
# Variables a parent git process (a hook) leaks into ours; they would point our git calls
# at the wrong repository or index.
_LEAKED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def git_env(
    extra: Mapping[str, str] | None = None, *, keep_git_dir: bool = False
) -> dict[str, str]:
    """The environment for a git call: leaked hook variables removed, ``extra`` added."""
    env = {k: v for k, v in os.environ.items() if keep_git_dir or k not in _LEAKED}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def git_exe() -> str:
    import shutil

    exe = shutil.which("git")
    if exe is None:
        raise EnvironmentProblem("git is not installed or not on PATH: install git and retry")
    return exe


class GitFailed(GitopsError):
    """A git command failed; ``stderr`` holds git's own words."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        # git's whole message: its last line alone often hides the cause (a hook's output,
        # the object that is corrupt); continuation lines are indented under the first.
        lines = [ln.rstrip() for ln in stderr.strip().splitlines() if ln.strip()]
        said = "\n    ".join(lines) if lines else f"exit {returncode}"
        super().__init__(f"git {' '.join(args[:2])} failed: {said}", ENVIRONMENT)
        self.returncode = returncode
        self.stderr = stderr


def run(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` and return the completed process (bytes)."""
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            env=git_env(env),
            capture_output=True,
        )
    except FileNotFoundError:
        git_exe()
        raise
    if check and proc.returncode != 0:
        raise GitFailed(list(args), proc.returncode, proc.stderr.decode(errors="replace"))
    return proc


def out(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``git ARGS`` and return stdout as text, stripped of the final newline."""
    return run(args, cwd, input=input, env=env).stdout.decode().rstrip("\n")


def start(args: Sequence[str], extra: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Start ``git ARGS`` for the start-up path of a short command: ``posix_spawnp`` and
    a pipe instead of :mod:`subprocess`, whose import costs more than the git call.
    ``(pid, fd of its stdout)`` for :func:`finish`; its stderr goes to /dev/null and the
    directory is given as ``-C DIR`` in ``args``.

    Raises OSError when git cannot be started (not on PATH, no ``posix_spawnp`` here).
    """
    if not hasattr(os, "posix_spawnp"):  # Windows
        raise OSError("posix_spawnp is not available here")
    r, w = os.pipe()  # both close-on-exec; the child's stdout is a dup2 of ``w``
    if min(r, w) < 3:  # a standard stream was closed: leave it to subprocess
        os.close(r)
        os.close(w)
        raise OSError("standard streams closed")
    try:
        pid = os.posix_spawnp(
            "git",
            ["git", *args],
            git_env(extra),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, w, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
        )
    except BaseException:
        os.close(r)
        raise
    finally:
        os.close(w)
    return pid, r


def finish(child: tuple[int, int]) -> tuple[int, bytes]:
    """``(exit code, stdout)`` of a git started by :func:`start` (waits for it)."""
    pid, r = child
    chunks = []
    try:
        while chunk := os.read(r, 65536):
            chunks.append(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)


def quick(args: Sequence[str], extra: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    """``(exit code, stdout)`` of ``git ARGS``: :func:`start` then :func:`finish`."""
    return finish(start(args, extra))


def not_a_repo(path: str) -> UsageError:
    return UsageError(f"{path}: not a git repository (run 'git init' first, or cd into one)")
