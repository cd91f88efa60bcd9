"""A run's models: the recorded outputs and artifacts, and putting them on disk verified."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.core.config import Config

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

REFERENCE_KIND = "reference"


def model_entries(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's outputs and artifacts (its models), drift references left out."""
    out = []
    for item in list(rec.get("outputs") or []) + list(rec.get("artifacts") or []):
        if item.get("kind") == REFERENCE_KIND or item.get("role") == REFERENCE_KIND:
            continue
        out.append(item)
    return out


def summary(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a deploy event records of each model: path, hash, size."""
    return [{"path": e["path"], "hash": e["hash"], "size": e.get("size")} for e in entries]


def restore(repo: gitstore.Repo, cfg: Config, entries: list[dict[str, Any]], dest: Path) -> None:
    """Write recorded entries under ``dest``, verified (pulled from the store if needed)."""
    from gitops_ml.data.restore import restore_entries

    dest.mkdir(parents=True, exist_ok=True)
    restore_entries(repo, cfg, entries, dest, progress=False)


def materialize(
    repo: gitstore.Repo, cfg: Config, rec: dict[str, Any], dest: Path, *, progress: bool = False
) -> list[Path]:
    """Write the run's models under ``dest`` from the content store, each verified against
    its recorded hash (pulled from the store remote when not cached). Returns their paths."""
    from gitops_ml.data.restore import restore_entries

    entries = model_entries(rec)
    if not entries:
        return []
    dest.mkdir(parents=True, exist_ok=True)
    restore_entries(repo, cfg, entries, dest, progress=progress)
    return [dest / e["path"] for e in entries]
