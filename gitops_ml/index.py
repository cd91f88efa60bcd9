"""The local query index: every run's record (slimmed) and its notes facts.

Derived state in ``.git/gitops-ml/index.json``: deleting it loses nothing. Each use
compares it with one ``for-each-ref`` of ``refs/runs/*`` and the notes ref, and reads only
what changed (new runs after a ``git fetch``, new notes) in one batched ``cat-file``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field

from gitops_ml import gitstore, record
from gitops_ml.errors import GitopsError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

INDEX_VERSION = 1


@dataclass
class RunIndex:
    """Runs by id: ``records[id]`` is the slim record, ``facts[id]`` the later notes lines."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: dict[str, str] = field(default_factory=dict)
    facts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    corrupt: dict[str, str] = field(default_factory=dict)

    def ids(self) -> list[str]:
        return sorted(self.records)

    def runs(self) -> list[dict[str, Any]]:
        """Every readable run, oldest first, each with its ``notes`` facts attached."""
        out = []
        for run_id in sorted(self.records):
            rec = dict(self.records[run_id])
            rec["notes"] = self.facts.get(run_id, [])
            out.append(rec)
        return out


def _path(repo: gitstore.Repo) -> str:
    return str(repo.state_dir / "index.json")


def _parse_facts(lines: list[str]) -> list[dict[str, Any]]:
    facts = []
    for line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            facts.append(item)
    return facts


def load(repo: gitstore.Repo, *, quiet: bool = False) -> RunIndex:
    """The index, refreshed against the refs (cheap when nothing changed)."""
    path = _path(repo)
    try:
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
        if saved.get("version") != INDEX_VERSION:
            saved = {}
    except (OSError, ValueError):
        saved = {}
    commits_now = gitstore.list_runs(repo)
    notes_now = gitstore.resolve_ref(repo, gitstore.NOTES_REF) if commits_now else None
    old_commits: dict[str, str] = saved.get("commits", {})
    records: dict[str, dict[str, Any]] = saved.get("records", {})
    corrupt: dict[str, str] = {}
    changed = False
    stale = [i for i, c in commits_now.items() if old_commits.get(i) != c or i not in records]
    for gone in set(records) - set(commits_now):
        records.pop(gone, None)
        changed = True
    if stale:
        texts = gitstore.read_run_records(repo, [commits_now[i] for i in stale])
        for run_id, text in zip(stale, texts, strict=True):
            try:
                records[run_id] = _slim_record(run_id, text, commits_now[run_id])
            except GitopsError as exc:
                records.pop(run_id, None)
                corrupt[run_id] = str(exc)
        changed = True
    facts: dict[str, list[dict[str, Any]]] = saved.get("facts", {})
    if notes_now != saved.get("notes") or changed:
        by_commit = gitstore.notes_of_all(repo) if notes_now else {}
        facts = {}
        for run_id, commit in commits_now.items():
            if commit in by_commit:
                facts[run_id] = _parse_facts(by_commit[commit])
        changed = True
    commits_ok = {i: c for i, c in commits_now.items() if i in records}
    if corrupt and not quiet:
        for why in sorted(corrupt.values()):
            print(f"gitops-ml: warning: {why}; skipped", file=sys.stderr)
    if changed:
        _save(
            path,
            {
                "version": INDEX_VERSION,
                "commits": commits_ok,
                "notes": notes_now,
                "records": records,
                "facts": facts,
            },
        )
    return RunIndex(records=records, commits=commits_ok, facts=facts, corrupt=corrupt)


def _slim_record(run_id: str, text: str | None, commit: str) -> dict[str, Any]:
    """A record for the index, its distribution list cut out before parsing."""
    if text is not None:
        cut, count = record.cut_distributions(text)
        if count is not None:
            try:
                rec = record.loads(run_id, cut, commit)
            except GitopsError:
                pass
            else:
                rec["environment"]["distributions_count"] = count
                return rec
    return record.slim(record.loads(run_id, text, commit))


def _save(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            # dumps, not dump: only the one-shot encoder is the fast C one.
            fh.write(json.dumps(data, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        # The index is only a cache; a read-only .git still answers queries.
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def resolve(repo: gitstore.Repo, prefix: str) -> tuple[str, str]:
    """``(run id, commit)`` for a unique prefix, from the refs alone (no index needed)."""
    from gitops_ml import ids

    commits = gitstore.list_runs(repo)
    run_id = ids.resolve(prefix, commits)
    return run_id, commits[run_id]


def full_record(repo: gitstore.Repo, prefix: str) -> dict[str, Any]:
    """The complete record of one run (distributions included) with its notes facts."""
    run_id, commit = resolve(repo, prefix)
    text = gitstore.read_run_records(repo, [commit])[0]
    rec = record.loads(run_id, text, commit)
    rec["notes"] = _parse_facts(gitstore.read_notes(repo, [commit]).get(commit, []))
    return rec
