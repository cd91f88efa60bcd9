"""The cache of rebuilt environments: ``$XDG_CACHE_HOME/gitops-ml/envs/<key>``
(``~/.cache`` by default).

Each environment is built in a temporary directory beside its final place and renamed
into place when complete, with a marker file describing it, so a half-built environment
is never used and a second reproduce reuses it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from gitops_ml.core import environment, xdg
from gitops_ml.reproduce import venvs

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

MARKER = "gitops-ml-env.json"
_FINGERPRINT = re.compile(r"^[0-9a-f]{8,64}$")


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/gitops-ml/envs`` (``~/.cache/gitops-ml/envs`` by default)."""
    return xdg.cache_root() / "envs"


def env_key(rec: Mapping[str, Any]) -> str:
    """The cache key of a run's environment."""
    env = rec.get("environment") or {}
    fp = env.get("fingerprint")
    if isinstance(fp, str) and _FINGERPRINT.match(fp):
        return fp
    return environment.fingerprint(
        str(env.get("python")),
        str(env.get("platform")),
        env.get("lockfile"),
        dict(env.get("distributions") or {}),
    )


def reusable(env_dir: Path) -> dict[str, Any] | None:
    """The marker of a complete cached environment, or None."""
    try:
        marker = json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not venvs.venv_python(env_dir).exists():
        return None
    return marker


def discard(path: Path) -> None:
    """Remove a cached environment (renamed away first: never half-deleted in place)."""
    trash = path.with_name(f".trash-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def publish(venv: Path, final: Path, marker: Mapping[str, Any]) -> None:
    """Move a finished environment built at ``venv`` to ``final`` with its marker; when
    another reproduce finished the same environment first, use that one."""
    venvs.rewrite_paths(venv, str(venv), str(final))
    (venv / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    if final.exists() and reusable(final) is None:
        discard(final)  # a broken or half-deleted one
    try:
        os.rename(venv, final)
    except OSError:
        if reusable(final) is None:
            raise
