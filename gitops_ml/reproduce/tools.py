"""The tools a rebuilt environment is made with: uv (the default), else venv + pip, and
the Python interpreter of the recorded version.

uv is a dependency of gitops-ml (its wheel ships the binary): it is found through the
installed ``uv`` package first, then on ``PATH``; ``python -m venv`` + pip is the fallback
(``GITOPS_ML_NO_UV=1`` forces it). Python is never downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from gitops_ml.core.errors import EnvironmentProblem

ENV_NO_UV = "GITOPS_ML_NO_UV"  # set to 1: use venv + pip even when uv is there

_NETWORK = re.compile(
    r"connect|network|dns|resolve host|timed? ?out|unreachable|temporary failure|"
    r"max retries|could not fetch|failed to fetch|error sending request|ssl",
    re.I,
)
_URL = re.compile(r"(?:Failed to fetch:|Could not fetch URL)\s+(\S+)")
_LEAD = re.compile(r"^(?:[×╰─▶│ ]+|error:\s*|caused by:\s*|cause:\s*)+", re.I)


def find_uv() -> str | None:
    """The uv executable: the one the installed ``uv`` package ships (a dependency of
    gitops-ml: the version it was tested with), else one on PATH; None without either or
    with ``GITOPS_ML_NO_UV=1`` (then venv + pip is used)."""
    if os.environ.get(ENV_NO_UV, "") not in ("", "0"):
        return None
    try:
        import uv  # type: ignore[import-not-found, unused-ignore]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def tool_env() -> dict[str, str]:
    """The environment for uv/pip: nothing pointing them at another interpreter."""
    env = dict(os.environ)
    # ``python -m uv`` sets the first to the host Python: it would win over ``--python``.
    for name in ("UV_INTERNAL__PARENT_INTERPRETER", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH"):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def version_of(python: str) -> tuple[str, str] | None:
    """``(X.Y.Z, implementation)`` of an interpreter, or None if it does not run."""
    try:
        proc = subprocess.run(
            [
                python,
                "-c",
                "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.implementation.name)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=tool_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = proc.stdout.split()
    return (parts[0], parts[1]) if proc.returncode == 0 and len(parts) == 2 else None


def minor(version: str) -> str:
    """``3.11`` of ``3.11.4``."""
    return ".".join(version.split(".")[:2])


def _candidates(wanted: str, uv: str | None, exe: str, version: str) -> list[str]:
    found: list[str] = []
    for request in (wanted, minor(wanted)):
        if uv:
            proc = subprocess.run(
                [uv, "python", "find", "--no-python-downloads", request],
                capture_output=True,
                text=True,
                env=tool_env(),
            )
            if proc.returncode == 0 and proc.stdout.strip():
                found.append(proc.stdout.strip().splitlines()[-1])
        on_path = shutil.which(f"python{request}")
        if on_path:
            found.append(on_path)
    if minor(version) == minor(wanted):
        found.append(exe)
    return found


def find_python(wanted: str | None, uv: str | None) -> tuple[str, str, str | None]:
    """An interpreter for the recorded Python version: ``(path, version, warning)``.

    The exact version first, then the same minor version; never downloaded. Without
    either, the current interpreter and a warning naming the mismatch.
    """
    exe, version = sys.executable, "{}.{}.{}".format(*sys.version_info[:3])
    if not wanted or wanted == version:
        return exe, version, None
    for candidate in _candidates(wanted, uv, exe, version):
        got = version_of(candidate)
        if got and minor(got[0]) == minor(wanted):
            note = None if got[0] == wanted else f"recorded Python {wanted}, using {got[0]}"
            return candidate, got[0], note
    return (
        exe,
        version,
        f"recorded Python {wanted} is not available on this machine; using {version} "
        "(results may differ; 'uv python install' can add it)",
    )


def last_error(stderr: str) -> str:
    """The most specific line of a tool's error output (its deepest cause)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        low = ln.lower()
        if low.startswith(("error", "caused by", "cause:", "×", "╰─▶")) or "error" in low:
            return _LEAD.sub("", ln).strip() or ln
    return lines[-1] if lines else "no output"


def run_tool(args: list[str], log_file: Path, what: str) -> None:
    """Run uv/pip/python, its output appended to ``log_file``; a failure is one line
    (a network failure says so, with the URL it was fetching)."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, env=tool_env())
    except OSError as exc:
        raise EnvironmentProblem(f"{what}: cannot start {args[0]}: {exc.strerror}") from None
    with log_file.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        line = last_error(proc.stderr)
        if _NETWORK.search(proc.stderr):
            url = _URL.search(proc.stderr)
            if url and url.group(1) not in line:
                line += f" (fetching {url.group(1).rstrip(':')})"
            raise EnvironmentProblem(f"network error while {what}: {line} (full log: {log_file})")
        raise EnvironmentProblem(f"{what} failed: {line} (full log: {log_file})")
