"""What the check hooks share: the repository root and the staged file names, cheaply.

No tree walk and no heavy import: one ``git`` call at most for each.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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


def read_config(root: Path) -> tuple[str | None, dict[str, object]]:
    """``(text, parsed mapping)`` of gitops-ml.yaml; ``(None, {})`` when absent.

    A file that does not parse gives an empty mapping (check-config reports it).
    """
    try:
        text = (root / FILENAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, {}
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text, {}
    return text, data if isinstance(data, dict) else {}


def as_list(value: object) -> list[str]:
    """A config path value (a path or a list of paths) as a list of clean paths."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip().rstrip("/").removeprefix("./") for v in items if str(v).strip()]
