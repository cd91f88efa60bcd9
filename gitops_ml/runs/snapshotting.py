"""The start of a run: its params (with ``-p`` overrides), its code snapshot, its data.

Nothing here writes into the user's work tree: overridden params files are returned as
bytes; :mod:`gitops_ml.runs.paramsfiles` writes them for an in-place run.
"""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import config as config_mod
from gitops_ml.core import gitstore
from gitops_ml.core.hashing import DataEntry, HashCache, hash_path
from gitops_ml.core.params import flatten, load_file, parse_text, plan_overrides, rewrite
from gitops_ml.data.cache import LocalStore
from gitops_ml.runs.console import printable, warn

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


class Params:
    """A run's params: the files as the command will read them, flattened, and the new
    bytes of each file an override changed."""

    def __init__(self) -> None:
        self.flat: dict[str, Any] = {}
        self.written: dict[str, bytes] = {}
        self.api: dict[str, Any] = {}  # overrides with no params file to hold them


def read_params(top: Path, cfg: config_mod.Config, overrides: dict[str, Any]) -> Params:
    """Read the params files and apply ``overrides`` (see :func:`plan_overrides`)."""
    out = Params()
    files = {rel: load_file(top / rel, rel, top) for rel in cfg.params}
    if overrides and not files:
        out.api = {key.lstrip("+"): value for key, value in overrides.items()}
    elif overrides:
        for rel, assignments in plan_overrides(files, overrides).items():
            try:
                text = (top / rel).read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            out.written[rel] = rewrite(text, rel, assignments)
            files[rel] = parse_text(out.written[rel].decode(), rel)
    for content in files.values():
        out.flat.update(flatten(content))
    return out


def take_snapshot(
    repo: gitstore.Repo, cfg: config_mod.Config, written: dict[str, bytes]
) -> gitstore.Snapshot:
    """Snapshot the work tree with ``written`` in place of the params files; a warning
    names each file left out."""
    snap = gitstore.snapshot(
        repo,
        exclude=cfg.data,
        max_untracked_bytes=cfg.max_untracked_bytes,
        overrides=written,
        secrets=gitstore.secret_patterns(cfg.secrets_exclude),
    )
    for rel, size in snap.skipped:
        warn(
            f"{printable(rel)} ({size / 1e6:.1f} MB) left out of the run's snapshot: larger "
            f"than max_untracked_mb ({cfg.max_untracked_mb:g} MB); declare it as data in "
            "gitops-ml.yaml"
        )
    if snap.secrets:
        names = ", ".join(printable(rel) for rel, _ in snap.secrets)
        warn(
            f"left out of the run's snapshot, as files that may hold secrets: {names} "
            "(secrets_exclude in gitops-ml.yaml)"
        )
    return snap


def hash_data(top: Path, paths: list[str], cache: HashCache, store: LocalStore) -> list[DataEntry]:
    """Hash the declared data under ``top`` into the local store."""
    entries = []
    for rel in paths:
        if not (top / rel).exists():
            warn(f"declared data {rel} does not exist; not recorded")
            continue
        entry = hash_path(top, rel, cache)
        store.put_entry(top, entry)
        entries.append(entry)
    cache.save()
    return entries
