"""The local query index: every run's record (slimmed), its notes facts, its JSON text.

Derived state in ``.git/gitops-ml/``: deleting it loses nothing. ``index.bin`` holds the
run commits, the notes commit they were read at, the facts from the notes and each run's
``runs ls --json`` text; ``records.bin`` the slimmed records, loaded only when a query
needs them (``--where``, ``--sort``, a table). Each use compares the index with one
``for-each-ref`` of ``refs/runs/*`` and the notes ref, and reads only what changed (new
runs after a ``git fetch``, new notes) in one batched ``cat-file``. Both files are
:mod:`marshal` data under a header naming the index and Python versions (anything else
is rebuilt); with the texts kept, listing 10,000 runs as JSON decodes and encodes no
record at all.
"""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import os
import sys
from pathlib import Path

from gitops_ml.core import gitstore, record
from gitops_ml.core.errors import GitopsError
from gitops_ml.runs import tags

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

INDEX_VERSION = 3
_MAGIC = (
    f"gitops-ml index {INDEX_VERSION} python {sys.version_info[0]}.{sys.version_info[1]}\n".encode()
)


class RunIndex:
    """Runs by id: commits, notes facts, JSON texts; ``records`` (slim) loaded on demand."""

    def __init__(
        self,
        repo: gitstore.Repo,
        commits: dict[str, str],
        facts: dict[str, list[dict[str, Any]]],
        texts: dict[str, str],
        *,
        corrupt: dict[str, str] | None = None,
        records: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._repo = repo
        self.commits = commits
        self.facts = facts
        self.texts = texts
        self.corrupt = corrupt or {}
        self._records = records

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        if self._records is None:
            saved = _read(_records_path(self._repo))
            if set(saved) >= set(self.commits):
                self._records = {i: saved[i] for i in self.commits}
            else:  # the records file is gone or behind: rebuild everything
                _records_path(self._repo).unlink(missing_ok=True)
                _path(self._repo).unlink(missing_ok=True)
                self._records = load(self._repo, quiet=True).records
        return self._records

    def runs(self) -> list[dict[str, Any]]:
        """Every readable run, oldest first, each with its ``notes`` facts attached."""
        out = []
        records = self.records
        for run_id in sorted(records):
            rec = dict(records[run_id])
            rec["notes"] = self.facts.get(run_id, [])
            rec["tags"] = tags.effective(rec.get("tags"), rec["notes"])
            out.append(rec)
        return out

    def json_text(self, run_id: str) -> str:
        """The run as ``runs ls --json`` prints it: record, ``notes`` and ``status``."""
        text = self.texts.get(run_id)
        if text is None:
            text = self.texts[run_id] = _json_text(self.records[run_id], self.facts.get(run_id, []))
        return text


def _path(repo: gitstore.Repo) -> Path:
    return repo.state_dir / "index.bin"


def _records_path(repo: gitstore.Repo) -> Path:
    return repo.state_dir / "records.bin"


def _json_text(rec: dict[str, Any], facts: list[dict[str, Any]]) -> str:
    from gitops_ml.runs.runstatus import status

    full = dict(rec)
    full["notes"] = facts
    full["tags"] = tags.effective(rec.get("tags"), facts)
    full["status"] = status(full)
    return json.dumps(full, sort_keys=True, default=str)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    if not raw.startswith(_MAGIC):
        return {}
    gc.disable()  # many small containers at once: the cycle collector only slows it down
    try:
        data = marshal.loads(raw[len(_MAGIC) :])
    except (EOFError, ValueError, TypeError):
        return {}
    finally:
        gc.enable()
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
    saved = _read(_path(repo))
    commits_now = gitstore.list_runs(repo)
    notes_now = gitstore.resolve_ref(repo, gitstore.NOTES_REF) if commits_now else None
    old_commits: dict[str, str] = saved.get("commits", {})
    texts: dict[str, str] = saved.get("texts", {})
    facts: dict[str, list[dict[str, Any]]] = saved.get("facts", {})
    stale = [i for i, c in commits_now.items() if old_commits.get(i) != c]
    gone = set(old_commits) - set(commits_now)
    if not stale and not gone and notes_now == saved.get("notes"):
        return RunIndex(repo, old_commits, facts, texts)
    records: dict[str, dict[str, Any]] = {}
    if old_commits:
        kept = _read(_records_path(repo))
        records = {i: r for i, r in kept.items() if old_commits.get(i) == commits_now.get(i)}
        stale = [i for i in commits_now if i not in records]
    corrupt: dict[str, str] = {}
    for run_id in stale:
        texts.pop(run_id, None)
    if stale:
        raw = gitstore.read_run_records(repo, [commits_now[i] for i in stale])
        for run_id, text in zip(stale, raw, strict=True):
            try:
                records[run_id] = _slim_record(run_id, text, commits_now[run_id])
            except GitopsError as exc:
                corrupt[run_id] = str(exc)
    by_commit = gitstore.notes_of_all(repo) if notes_now else {}
    new_facts: dict[str, list[dict[str, Any]]] = {}
    for run_id, commit in commits_now.items():
        if commit in by_commit:
            new_facts[run_id] = _parse_facts(by_commit[commit])
    for run_id in set(facts) | set(new_facts):
        if facts.get(run_id) != new_facts.get(run_id):
            texts.pop(run_id, None)
    facts = new_facts
    commits_ok = {i: c for i, c in commits_now.items() if i in records}
    texts = {i: t for i, t in texts.items() if i in records}
    for run_id, rec in records.items():
        if run_id not in texts:
            texts[run_id] = _json_text(rec, facts.get(run_id, []))
    if corrupt and not quiet:
        for why in sorted(corrupt.values()):
            print(f"gitops-ml: warning: {why}; skipped", file=sys.stderr)
    # Corrupt runs are left out of the saved commits, so they are read (and reported) again.
    _save(_records_path(repo), records)
    _save(_path(repo), {"commits": commits_ok, "notes": notes_now, "facts": facts, "texts": texts})
    return RunIndex(repo, commits_ok, facts, texts, corrupt=corrupt, records=records)


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


def _save(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
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
    from gitops_ml.core import ids

    commits = gitstore.list_runs(repo)
    run_id = ids.resolve(prefix, commits)
    return run_id, commits[run_id]


def full_record(repo: gitstore.Repo, prefix: str) -> dict[str, Any]:
    """The complete record of one run (distributions included) with its notes facts."""
    run_id, commit = resolve(repo, prefix)
    text = gitstore.read_run_records(repo, [commit])[0]
    rec = record.with_full_environment(repo, record.loads(run_id, text, commit))
    rec["notes"] = _parse_facts(gitstore.read_notes(repo, [commit]).get(commit, []))
    rec["tags"] = tags.effective(rec.get("tags"), rec["notes"])
    return rec
