"""The cache of rebuilt environments: ``$XDG_CACHE_HOME/gitops-ml/envs/<key>``
(``~/.cache/gitops-ml/envs`` by default), shared by all of a user's repositories.

Records are untrusted (a teammate's remote can serve any record), so nothing a record
claims (its environment fingerprint) names or selects an environment. The key is computed
here from what will be installed: the interpreter (its path and version), the platform,
and the bytes of the install plan (the lockfile read from the run's snapshot and checked
against its hash, with the files it includes, or the exact distribution pins). Two runs
share an environment only when they install the very same thing.

After a build, the marker file records what is actually installed: every distribution
and its version, and a digest over each distribution's ``RECORD`` (the installed files and
their hashes), every ``.pth`` start-up file and the top-level names of site-packages. On
reuse the environment on disk is checked against it (and, for a distribution list, against
the pins the run needs); an environment that changed since its build (a package added or
removed, a start-up file dropped in) is discarded and rebuilt, never used.

Each environment is built in a temporary directory beside its final place and renamed into
place when complete, so a half-built environment is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from gitops_ml.core import environment, xdg
from gitops_ml.core.hashing import hash_bytes
from gitops_ml.reproduce import shim, venvs

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

MARKER = "gitops-ml-env.json"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/gitops-ml/envs`` (``~/.cache/gitops-ml/envs`` by default)."""
    return xdg.cache_root() / "envs"


def _digest(parts: Iterable[bytes]) -> str:
    return hash_bytes(b"\0".join(parts))[:32]


def install_key(interpreter: str, version: str, plan: str) -> str:
    """The cache key: the interpreter, its version, this platform and the plan digest."""
    basis = {
        "interpreter": os.path.realpath(interpreter),
        "python": version,
        "platform": environment.platform_tag(),
        "plan": plan,
    }
    return _digest([json.dumps(basis, sort_keys=True).encode()])


def installed_state(env_dir: Path) -> dict[str, Any]:
    """What is installed in ``env_dir``: ``{distributions: {name: version}, digest}``."""
    parts: list[bytes] = []
    for site in venvs.site_packages(env_dir):
        names = sorted(n for n in os.listdir(site) if n not in ("__pycache__", shim.PTH))
        parts.append("\n".join(names).encode())
        for name in names:
            path = site / name
            if name.endswith(".pth") and path.is_file():
                parts += [name.encode(), path.read_bytes()]
            elif name.endswith(".dist-info") and (path / "RECORD").is_file():
                parts += [name.encode(), (path / "RECORD").read_bytes()]
    return {"distributions": venvs.installed(env_dir), "digest": _digest(parts)}


def _marker(env_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not venvs.venv_python(env_dir).exists():
        return None
    return marker


def _why_not(env_dir: Path, marker: Mapping[str, Any], key: str, pins: Mapping[str, str]) -> str:
    if marker.get("key") != key:
        return "its marker names another key"
    try:
        state = installed_state(env_dir)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if state != marker.get("installed"):
        return "its installed packages or start-up files changed since it was built"
    have = state["distributions"]
    missing = [f"{n}=={v}" for n, v in pins.items() if have.get(n) != v]
    return f"it lacks {', '.join(missing[:3])}" if missing else ""


def check(env_dir: Path, key: str, pins: Mapping[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The marker of a cached environment that may be reused, else ``(None, why not)``
    (``why`` is empty when there is simply nothing there)."""
    marker = _marker(env_dir)
    if marker is None:
        return None, ""
    why = _why_not(env_dir, marker, key, pins)
    return (None, why) if why else (marker, "")


def discard(path: Path) -> None:
    """Remove a cached environment (renamed away first: never half-deleted in place)."""
    trash = path.with_name(f".trash-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def publish(venv: Path, final: Path, marker: dict[str, Any], pins: Mapping[str, str]) -> None:
    """Move a finished environment built at ``venv`` to ``final``, its marker recording
    what is installed; when another reproduce finished the same one first, keep that."""
    venvs.rewrite_paths(venv, str(venv), str(final))
    marker["installed"] = installed_state(venv)
    (venv / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    if final.exists():
        if check(final, str(marker["key"]), pins)[0] is not None:
            return  # another reproduce finished the same environment first: use that one
        discard(final)  # refused by the caller's check, or half-deleted
    try:
        os.rename(venv, final)
    except OSError:
        if check(final, str(marker["key"]), pins)[0] is None:
            raise
