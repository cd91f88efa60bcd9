"""Per-user folders outside any repository, following the XDG base directory spec."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/gitops-ml`` (``~/.cache/gitops-ml`` when the variable is unset or
    empty): rebuilt environments, the log file. Not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops-ml"
