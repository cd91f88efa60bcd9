"""The local query index: every run's record (slimmed) and its notes facts.

Derived state in ``.git/gitops-ml/index.bin``: deleting it loses nothing. Each use
compares it with one ``for-each-ref`` of ``refs/runs/*`` and the notes ref, and reads only
what changed (new runs after a ``git fetch``, new notes) in one batched ``cat-file``.

It is stored with :mod:`marshal` (several times faster to load than JSON: 10,000 runs
are ~13 MB) under a header naming the index and Python versions, and keeps each run's
``runs ls --json`` text ready, so listing does not encode 10,000 records again.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import sys
from dataclasses import dataclass, field

from gitops_ml import gitstore, record
from gitops_ml.errors import GitopsError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

INDEX_VERSION = 2
_MAGIC = (
    f"gitops-ml index {INDEX_VERSION} python {sys.version_info[0]}.{sys.version_info[1]}\n".encode()
)


@dataclass
class RunIndex:
    """Runs by id: ``records[id]`` is the slim record, ``facts[id]`` the later notes lines."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: dict[str, str] = field(default_factory=dict)
    facts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    corrupt: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def json_text(self, run_id: str) -> str:
        """The run as ``runs ls --json`` prints it: record, ``notes`` and ``status``."""
        text = self.texts.get(run_id)
        if text is None:
            text = self.texts[run_id] = _json_text(self.records[run_id], self.facts.get(run_id, []))
        return text

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
    return str(repo.state_dir / "index.bin")


def _json_text(rec: dict[str, Any], facts: list[dict[str, Any]]) -> str:
    from gitops_ml.runstatus import status

    full = dict(rec)
    full["notes"] = facts
    full["status"] = status(full)
    return json.dumps(full, sort_keys=True, default=str)


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    if not raw.startswith(_MAGIC):
        return {}
    try:
        data = marshal.loads(raw[len(_MAGIC) :])
    except (EOFError, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


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
    saved = _read(path)
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
    texts: dict[str, str] = saved.get("texts", {})
    if stale:
        for run_id in stale:
            texts.pop(run_id, None)
        raw = gitstore.read_run_records(repo, [commits_now[i] for i in stale])
        for run_id, text in zip(stale, raw, strict=True):
            try:
                records[run_id] = _slim_record(run_id, text, commits_now[run_id])
            except GitopsError as exc:
                records.pop(run_id, None)
                corrupt[run_id] = str(exc)
        changed = True
    facts: dict[str, list[dict[str, Any]]] = saved.get("facts", {})
    if notes_now != saved.get("notes") or changed:
        by_commit = gitstore.notes_of_all(repo) if notes_now else {}
        new_facts: dict[str, list[dict[str, Any]]] = {}
        for run_id, commit in commits_now.items():
            if commit in by_commit:
                new_facts[run_id] = _parse_facts(by_commit[commit])
        for run_id in set(facts) | set(new_facts):
            if facts.get(run_id) != new_facts.get(run_id):
                texts.pop(run_id, None)
        facts = new_facts
        changed = True
    commits_ok = {i: c for i, c in commits_now.items() if i in records}
    if corrupt and not quiet:
        for why in sorted(corrupt.values()):
            print(f"gitops-ml: warning: {why}; skipped", file=sys.stderr)
    for gone in set(texts) - set(records):
        texts.pop(gone, None)
    if changed:
        for run_id, rec in records.items():
            if run_id not in texts:
                texts[run_id] = _json_text(rec, facts.get(run_id, []))
        _save(
            path,
            {
                "commits": commits_ok,
                "notes": notes_now,
                "records": records,
                "facts": facts,
                "texts": texts,
            },
        )
    return RunIndex(records=records, commits=commits_ok, facts=facts, corrupt=corrupt, texts=texts)


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
        with open(tmp, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(marshal.dumps(data))
        os.replace(tmp, path)
    except (OSError, ValueError):
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
