"""``gitops-ml migrate``: bring a repository written by 0.1 to storage contract v2.

What it does, idempotently (a second run changes nothing):

- every distinct inline environment of a schema-1 record is stored under
  ``refs/gitops-ml/environments``, named by the BLAKE3 hash of its shared part (the same
  file, and name, a v2 run of that environment writes). Records are immutable commit
  messages, so a 0.1 record keeps its inline environment; the name of its stored copy is
  a function of it (``record.environment_file(rec["environment"])[0]``): no lookup table
  or extra fact is needed;
- the notes lines 0.1 wrote on the commit each run was made on (``{"type": "run", ...}``)
  are dropped from the notes (the facts on runs, and link-commit's lines, stay). A clone
  still on 0.1 writes such lines again; they are ignored, and a second migrate drops them.

Nothing immutable is rewritten: run commits, their refs and records stay as they are.
"""

from __future__ import annotations

import json

from gitops_ml.core import gitstore, record

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_BATCH = 2000  # records read per batch


class Migrated:
    """What :func:`migrate` did."""

    __slots__ = ("archived", "environments", "lines", "notes", "runs_v1")

    def __init__(self) -> None:
        self.archived = 0  # run refs moved into the archive (more than recording keeps)
        self.runs_v1 = 0  # schema-1 records seen
        self.environments = 0  # environment files added
        self.lines = 0  # obsolete notes lines dropped
        self.notes = 0  # notes (commits) changed


def _inline_environments(repo: gitstore.Repo, done: Migrated) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    runs = gitstore.list_runs(repo)
    ids = sorted(runs)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        for text in gitstore.read_run_records(repo, [runs[i] for i in chunk]):
            try:
                rec: dict[str, Any] = json.loads(text or "")
            except ValueError:
                continue
            env = rec.get("environment") if isinstance(rec, dict) else None
            if not isinstance(env, dict) or not record.is_inline_environment(env):
                continue
            done.runs_v1 += 1
            fingerprint, data = record.environment_file(env)
            files[fingerprint] = data
    return files


def _obsolete(line: str) -> bool:
    try:
        item = json.loads(line)
    except ValueError:
        return False
    return isinstance(item, dict) and item.get("type") == "run"


def migrate(repo: gitstore.Repo) -> Migrated:
    """Store inline environments and drop 0.1's per-run notes lines (see module docs)."""
    done = Migrated()
    files = _inline_environments(repo, done)
    if files:
        stored = gitstore.list_environments(repo)
        new = sorted((f, d) for f, d in files.items() if f not in stored)
        if new:
            gitstore.store_environments(repo, new)
            done.environments = len(new)
    edits: dict[str, bytes | None] = {}
    for target, lines in gitstore.notes_of_all(repo).items():
        keep = [ln for ln in lines if not _obsolete(ln)]
        if len(keep) != len(lines):
            done.lines += len(lines) - len(keep)
            edits[target] = ("\n".join(keep) + "\n").encode() if keep else None
    if edits:
        gitstore.rewrite_notes(repo, edits, "gitops-ml: migrate: drop per-run notes lines\n")
        done.notes = len(edits)
    from gitops_ml.core import archive

    if archive.due(repo):
        # what recording would have done all along: now, rather than in the next run
        done.archived = len(archive.compact(repo, 0).archived)
    return done
