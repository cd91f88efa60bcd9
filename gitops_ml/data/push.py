"""Pushing cached objects to the data remote: files before manifests, each verified first."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops_ml.core.digests import is_blake3
from gitops_ml.core.hashing import HashCache, hash_file, hash_path
from gitops_ml.data.cache import CorruptObject, LocalStore
from gitops_ml.data.objects import MissingObjects, Objects
from gitops_ml.data.remote import WORKERS

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.ui.progress import Transfer


def local_objects(local: LocalStore) -> list[str]:
    """Every object in the local cache (temp files of unfinished writes left out)."""
    found = []
    try:
        subdirs = list(os.scandir(local.root))
    except FileNotFoundError:
        return []
    for sub in subdirs:
        if len(sub.name) != 2 or not sub.is_dir(follow_symlinks=False):
            continue
        for obj in os.scandir(sub.path):
            digest = sub.name + obj.name
            if is_blake3(digest):
                found.append(digest)
    return sorted(found)


def recorded_entries(rec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Everything a run recorded by hash: data, outputs and artifacts."""
    return [
        e for part in ("data", "outputs", "artifacts") for e in rec.get(part) or [] if e.get("hash")
    ]


def cache_declared(top: Path, state_dir: Path, declared: Sequence[str]) -> set[str]:
    """Put the current content of the declared data paths in the local cache (so a push
    stores data no run has recorded yet); returns the manifest digests among it."""
    cache = HashCache.for_repo(state_dir)
    local = LocalStore(state_dir)
    manifests = set()
    for rel in declared:
        if not os.path.lexists(top / rel):
            continue
        entry = hash_path(top, rel, cache)
        local.put_entry(top, entry)
        if entry.kind == "dir":
            manifests.add(entry.hash)
    cache.save()
    return manifests


@dataclass
class PushResult:
    pushed: int
    bytes: int
    present: int


def push(
    objects: Objects,
    wanted: Mapping[str, str],
    manifests: Collection[str],
    *,
    progress: bool = True,
) -> PushResult:
    """Upload the objects of ``wanted`` the store lacks, each verified first.

    Files go before manifests, so a manifest in the store means its files are there.
    Objects absent from the local cache must already be in the store, else
    :class:`MissingObjects`; a corrupt local object is moved out of the cache and
    reported (:class:`~gitops_ml.data.cache.CorruptObject`) after the others are pushed.
    """
    remote = objects.remote
    assert remote is not None
    there = remote.existing(wanted)
    todo = [d for d in wanted if d not in there]
    absent = {d: wanted[d] for d in todo if not objects.local.has(d)}
    if absent:
        raise MissingObjects(absent, objects.places())
    sizes = {d: objects.local.path(d).stat().st_size for d in todo}
    total = sum(sizes.values())
    waves = [[d for d in todo if d not in manifests], [d for d in todo if d in manifests]]
    from concurrent.futures import ThreadPoolExecutor  # ~10 ms: only when used

    from gitops_ml.ui.progress import Transfer

    corrupt: list[CorruptObject] = []

    def send(digest: str, bar: Transfer) -> None:
        src = objects.local.path(digest)
        got = hash_file(src)
        if got != digest:
            q = objects.quarantine(digest)
            corrupt.append(
                CorruptObject(
                    digest,
                    str(src),
                    label=wanted[digest],
                    got=got,
                    note=f", not pushed; moved to {q}",
                )
            )
            bar.advance(sizes[digest])
            return
        remote.upload(src, digest, bar)

    with Transfer(f"push {len(todo)} object(s)", total, progress) as bar:
        for wave in waves:
            if wave is waves[1] and corrupt:
                break  # a manifest must not go up without all of its files
            with ThreadPoolExecutor(WORKERS) as pool:
                for fut in [pool.submit(send, d, bar) for d in wave]:
                    fut.result()
    if corrupt:
        raise corrupt[0]
    return PushResult(len(todo), total, len(there))
