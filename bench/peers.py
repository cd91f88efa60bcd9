"""The tools under test, each in its own venv under ``bench/.venvs`` (never project deps).

``mlflow`` and ``dvc`` venvs are created on first use and cached. gitops-ml is measured
from ``bench/.venvs/gitops-ml`` (the repository installed non-editable, refreshed every
run so it is the current code) or, with ``--use-current``, from the running interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENVS = BENCH / ".venvs"

# No analytics or telemetry from any tool (the box has no internet anyway).
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


@dataclass
class Tool:
    """A venv's interpreter and the directory of its console scripts."""

    name: str
    python: Path
    bindir: Path
    version: str = ""

    def script(self, name: str) -> Path | None:
        path = self.bindir / name
        if path.exists():
            return path
        found = shutil.which(name)
        return Path(found) if found else None


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _venv(name: str, packages: list[str], refresh: list[str] | None = None) -> Tool:
    where = VENVS / name
    python = where / "bin" / "python"
    marker = where / ".bench-ready"
    if not marker.exists():
        _log(f"creating venv {where} ({' '.join(packages)}); takes a few minutes once")
        shutil.rmtree(where, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
            check=True,
        )
        marker.write_text("ok\n")
    elif refresh:
        # new dependencies of the refreshed packages first (uv joined gitops-ml's), then
        # the packages themselves reinstalled from their current source
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *refresh],
            check=True,
        )
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--force-reinstall",
                *refresh,
            ],
            check=True,
        )
    return Tool(name, python, where / "bin")


def _version(tool: Tool, module: str) -> str:
    out = subprocess.run(
        [str(tool.python), "-c", f"import importlib.metadata as m; print(m.version({module!r}))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


def mlflow() -> Tool:
    tool = _venv("mlflow", ["mlflow"])
    tool.version = _version(tool, "mlflow")
    return tool


def dvc() -> Tool:
    tool = _venv("dvc", ["dvc"])
    tool.version = _version(tool, "dvc")
    return tool


def gitops_ml(use_current: bool) -> Tool:
    """gitops-ml (and blake3, its dependency) from its own venv or this interpreter."""
    if use_current:
        python = Path(sys.executable)
        tool = Tool("gitops-ml", python, python.parent)
    else:
        # the marker keeps the first install; later runs reinstall only the project itself
        tool = _venv("gitops-ml", [str(ROOT)], refresh=[str(ROOT)])
    tool.version = _version(tool, "gitops-ml")
    return tool


def git_version() -> str:
    return subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()


def tool_env() -> dict[str, str]:
    """The environment every measured process runs with."""
    env = dict(QUIET_ENV)
    env["PATH"] = os.environ.get("PATH", "")
    return env
