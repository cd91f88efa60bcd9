"""What the check hooks share: the repository root and the staged file names, cheaply.

No tree walk and no heavy import: one ``git`` call at most for each.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitops_ml.core import config
from gitops_ml.core.config import FILENAME


def top() -> Path:
    """The root of the work tree (the current directory when it holds gitops-ml.yaml)."""
    here = Path.cwd()
    if (here / FILENAME).exists() or (here / ".git").exists():
        return here
    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else here


def staged(root: Path) -> list[str]:
    """Files added, copied, modified or renamed in the index being committed.

    Keeps ``GIT_INDEX_FILE``: for ``git commit FILE`` git hands its hooks a temporary index.
    """
    proc = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames"],
        cwd=root,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    if proc.returncode != 0:
        return []
    return [n for n in proc.stdout.decode(errors="surrogateescape").split("\0") if n]


def load_config(root: Path) -> config.Config:
    """The validated configuration (the same loader and cache as every command)."""
    return config.load(root)
