"""Lineage: from a file or content hash to the runs that produced or consumed it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitops_ml.core import digests, gitstore
from gitops_ml.core.errors import GitopsError, UsageError
from gitops_ml.core.hashing import HashCache, hash_path

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Trace:
    """What a lineage question found: the content hash asked about, its path in the
    repository (None when a hash was given) and the runs (each with its ``status``)."""

    digest: str
    path: str | None
    runs: list[dict[str, Any]]


def trace(repo: gitstore.Repo, target: str, *, runs_using: bool = False) -> Trace:
    """The runs that produced ``target`` (a path or a content hash), oldest first, or with
    ``runs_using`` the runs that consumed it as data. Offline: git and the local index."""
    from gitops_ml.runs import index, runstatus

    digest, rel = target_hash(repo, target)
    idx = index.load(repo)
    if runs_using:
        files_of = local_manifests(repo.state_dir)
        # the recorded directories holding a file with this hash: their runs mention them
        dirs = [m for m in sorted(idx.recorded_hashes("dir")) if _holds(files_of(m), digest)]
        found = consumers(list(idx.iter_runs(mentioning=[digest, *dirs])), digest, files_of)
    else:
        found = producers(list(idx.iter_runs(mentioning=[digest])), digest)
    for r in found:
        r["status"] = runstatus.status(r)
    return Trace(digest, rel, found)


def _holds(files: set[str] | None, digest: str) -> bool:
    """A directory's file hashes (None: not at hand) include one starting with ``digest``."""
    return files is not None and any(f.startswith(digest) for f in files)


def target_hash(repo: gitstore.Repo, target: str) -> tuple[str, str | None]:
    """``(hash or hash prefix, repo-relative path or None)`` for a path or a hash.

    A path outside the repository (a deployed copy of a model) is hashed as it is.
    """
    path = Path(target)
    if path.exists():
        full = path.resolve()
        try:
            rel = full.relative_to(repo.top.resolve()).as_posix()
        except ValueError:
            outside = hash_path(full.parent, full.name, HashCache(None))
            return outside.hash, None
        entry = hash_path(repo.top.resolve(), rel, HashCache.for_repo(repo.state_dir))
        return entry.hash, rel
    if digests.is_prefix(target.lower()):
        return target.lower(), None
    raise UsageError(f"{target}: no such file, and not a content hash")


def _matches(items: list[dict[str, Any]] | None, digest: str) -> list[dict[str, Any]]:
    return [i for i in items or [] if str(i.get("hash", "")).startswith(digest)]


def producers(runs: list[dict[str, Any]], digest: str) -> list[dict[str, Any]]:
    """Runs whose outputs or artifacts have this hash, oldest first."""
    return [
        r
        for r in runs
        if _matches(r.get("outputs"), digest) or _matches(r.get("artifacts"), digest)
    ]


def consumers(
    runs: list[dict[str, Any]],
    digest: str,
    files_of: Callable[[str], set[str] | None] | None = None,
) -> list[dict[str, Any]]:
    """Runs whose declared data had this hash, or held a file with it inside a recorded
    directory (``files_of(manifest hash)``: the file hashes of that directory, None when
    its manifest is not at hand)."""
    found = []
    for r in runs:
        if _matches(r.get("data"), digest):
            found.append(r)
            continue
        if files_of is None:
            continue
        for item in r.get("data") or []:
            if item.get("kind") != "dir":
                continue
            if _holds(files_of(str(item.get("hash"))), digest):
                found.append(r)
                break
    return found


def local_manifests(state_dir: Path) -> Callable[[str], set[str] | None]:
    """``files_of`` for :func:`consumers` from the local cache (each manifest read once,
    verified; a missing or corrupt one counts as unknown)."""
    from gitops_ml.core.errors import GitopsError
    from gitops_ml.core.hashing import manifest_lines
    from gitops_ml.data.cache import LocalStore

    local = LocalStore(state_dir)
    seen: dict[str, set[str] | None] = {}

    def files_of(manifest: str) -> set[str] | None:
        if manifest not in seen:
            try:
                rows = manifest_lines(local.read_bytes(manifest))
                seen[manifest] = {d for d, _, _ in rows}
            except (GitopsError, ValueError):
                seen[manifest] = None
        return seen[manifest]

    return files_of


def provenance(rec: dict[str, Any], repo: gitstore.Repo | None = None) -> dict[str, Any]:
    """The provenance summary of one run.

    With ``repo``, a version 2 record's environment (named by fingerprint) is read from
    ``refs/gitops-ml/environments``; one this clone does not hold stays as recorded.
    """
    git = rec.get("git") or {}
    env = rec.get("environment") or {}
    if repo is not None and isinstance(env, dict):
        from gitops_ml.core import record

        with contextlib.suppress(GitopsError):  # not fetched yet: as recorded
            env = {**record.full_environment(repo, rec), **env}
    return {
        "run": rec["id"],
        "name": rec.get("name"),
        "status": rec.get("status"),
        "snapshot": git.get("snapshot"),
        "base": git.get("base"),
        "branch": git.get("branch"),
        "dirty": git.get("dirty"),
        "data": [{"path": d["path"], "hash": d["hash"]} for d in rec.get("data") or []],
        "environment": {
            "python": env.get("python"),
            "platform": env.get("platform"),
            "fingerprint": env.get("fingerprint"),
            "lockfile": env.get("lockfile"),
        },
        "command": rec.get("command"),
        "params": rec.get("params"),
        "metrics": rec.get("metrics"),
        "user": rec.get("user"),
        "host": rec.get("host"),
        "started": rec.get("started"),
        "deploys": [f for f in rec.get("notes") or [] if f.get("type") == "deploy"],
        "verifications": [f for f in rec.get("notes") or [] if f.get("type") == "verify"],
    }
