"""Refreshing the query index: only new or changed runs and notes are read, in batches.

One ``for-each-ref`` lists the run refs and the notes ref; the run commits not yet in the
index are read with one ``git cat-file --batch`` (ids on stdin from a file, the output
read in one piece), and their rows are computed inside SQLite where the record is
ordinary (a shape check and ``json_set`` in C, no Python object per record). A record
SQLite does not accept as is (non-finite numbers, notes facts, an odd shape) goes the
Python way: parsed, checked (:mod:`gitops_ml.runs.recordcheck`), made strict JSON, or
put in the ``bad`` table with the reason.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile

from gitops_ml.core import git, gitstore, record
from gitops_ml.core.errors import GitopsError
from gitops_ml.core.facts import parse_facts
from gitops_ml.runs.index import RUN_ID

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

_OBJECTS = ("git", "params", "metrics", "user", "environment", "seeds")
_LISTS_OF_OBJECTS = ("data", "outputs", "artifacts", "skipped")
_TEXT_OR_NULL = ("name", "started", "ended", "host", "cwd", "reproduces")


def _fast_check() -> str:
    """SQL over ``s.body`` that is true only for records :func:`recordcheck.problem` accepts
    and that need nothing from Python (a ``git`` object present, tags all text)."""

    def t(key: str) -> str:
        return f"json_type(s.body, '$.{key}')"

    conds = [
        "json_valid(s.body)",
        "json_type(s.body) = 'object'",
        "json_extract(s.body, '$.id') = s.id",
        f"{t('id')} = 'text'",
        f"{t('schema')} = 'integer'",
        "json_extract(s.body, '$.schema') >= 1",
        f"{t('git')} = 'object'",
    ]
    conds += [f"coalesce({t(k)}, 'null') IN ('null', 'object')" for k in _OBJECTS]
    conds += [f"coalesce({t(k)}, 'null') IN ('null', 'text')" for k in _TEXT_OR_NULL]
    conds += [_list_of(key, "object") for key in _LISTS_OF_OBJECTS]
    conds += [_list_of(key, "text") for key in ("tags", "command")]
    conds.append(f"coalesce({t('exit_code')}, 'null') IN ('null', 'integer')")
    conds.append(f"coalesce({t('duration')}, 'null') IN ('null', 'integer', 'real')")
    return " AND ".join(conds)


def _list_of(key: str, kind: str, inline: int = 4) -> str:
    """SQL true when ``$.key`` is absent, null, or an array of ``kind`` only.

    Arrays of up to ``inline`` items are checked item by item with ``json_type``, which
    reuses the record SQLite already parsed for the other checks; ``json_each`` parses
    the whole record again for each key (six of them: most of the cold build's checking
    time at 100,000 runs, 1.9 s of checks against 0.9 s this way), so it is left to longer
    arrays.
    """
    t = f"json_type(s.body, '$.{key}')"
    cases = " ".join(
        f"WHEN {n} THEN "
        + (" AND ".join(f"json_type(s.body, '$.{key}[{i}]') = '{kind}'" for i in range(n)) or "1")
        for n in range(inline + 1)
    )
    each = f"NOT EXISTS (SELECT 1 FROM json_each(s.body, '$.{key}') WHERE type != '{kind}')"
    return (
        f"(coalesce({t}, 'null') = 'null' OR ({t} = 'array' AND "
        f"CASE json_array_length(s.body, '$.{key}') {cases} ELSE {each} END))"
    )


_STATUS = (
    "(CASE WHEN json_extract(s.body, '$.exit_code') = 0 THEN 'ok' "
    "ELSE 'exit ' || coalesce(json_extract(s.body, '$.exit_code'), 'None') END)"
)
_USER = (
    "coalesce(CASE WHEN json_type(s.body, '$.user.email') = 'text' "
    "AND json_extract(s.body, '$.user.email') != '' THEN json_extract(s.body, '$.user.email') END, "
    "CASE WHEN json_type(s.body, '$.user.name') = 'text' "
    "AND json_extract(s.body, '$.user.name') != '' THEN json_extract(s.body, '$.user.name') END, '?')"
)
_FAST_INSERT = f"""
INSERT INTO runs (n, id, commit_, parent, name, started, exit_code, status, user, params, metrics, tags)
SELECT s.n, s.id, s.commit_, s.parent, json_extract(s.body, '$.name'),
    json_extract(s.body, '$.started'), json_extract(s.body, '$.exit_code'), {_STATUS}, {_USER},
    coalesce(json(json_extract(s.body, '$.params')), '{{}}'),
    coalesce(json(json_extract(s.body, '$.metrics')), '{{}}'),
    coalesce(json(json_extract(s.body, '$.tags')), '[]')
FROM stage AS s WHERE s.facts IS NULL AND {_fast_check()}
"""
_FAST_TEXTS = f"""
INSERT INTO texts (n, out)
SELECT s.n, json_set(s.body, '$.git.snapshot', s.commit_, '$.notes', json('[]'),
    '$.status', {_STATUS}, '$.tags', coalesce(json(json_extract(s.body, '$.tags')), json('[]')))
FROM stage AS s JOIN runs AS r ON r.n = s.n
"""


def dumps(value: Any) -> str:
    """Compact, key-sorted, strict JSON (non-finite numbers as strings)."""
    from gitops_ml.ui.render import finite

    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(finite(value), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _listing(repo: gitstore.Repo) -> tuple[dict[str, str], str | None]:
    """``({run id: commit}, notes commit)``: run refs and archived runs (refs whose name
    is not a run id are left out by :func:`gitstore.list_runs`, with a warning)."""
    return gitstore.list_runs(repo), gitstore.resolve_ref(repo, gitstore.NOTES_REF)


def read_objects(repo: gitstore.Repo, oids: list[str]) -> list[bytes | None]:
    """Contents of many objects from one ``cat-file --batch`` (None where missing).

    The ids go in through a temporary file and the output comes back through one pipe
    read in one piece: no select loop per 32 KiB, which is most of the time otherwise.
    """
    if not oids:
        return []
    with tempfile.TemporaryFile() as ids:
        ids.write("".join(f"{o}\n" for o in oids).encode())
        ids.seek(0)
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=repo.top,
            stdin=ids,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git.git_env(),
            check=False,
        )
    return gitstore.split_batch(proc.stdout, len(oids))


def _split_commit(raw: bytes | None) -> tuple[str | None, str | None]:
    """``(first parent, record text)`` of a run commit object."""
    if raw is None:
        return None, None
    headers, _, message = raw.partition(b"\n\n")
    parent = None
    for line in headers.split(b"\n"):
        if line.startswith(b"parent "):
            parent = line[7:].decode(errors="replace")
            break
    _, _, body = message.partition(b"\n\n")
    return parent, body.decode(errors="replace")


def _refresh_notes(repo: gitstore.Repo, db: sqlite3.Connection, notes_now: str | None) -> set[str]:
    """Bring the notes table up to date; the annotated commits whose facts changed."""
    saved = db.execute("SELECT v FROM meta WHERE k = 'notes'").fetchone()
    if (saved[0] if saved else None) == (notes_now or ""):
        return set()
    now: dict[str, str] = {}
    if notes_now:
        proc = git.run(["notes", f"--ref={gitstore.NOTES_REF}", "list"], repo.top, check=False)
        for line in proc.stdout.decode(errors="replace").splitlines():
            blob, _, target = line.partition(" ")
            if target:
                now[target] = blob
    old = {str(t): str(b) for t, b in db.execute("SELECT target, blob FROM notes")}
    changed = {t for t in set(now) | set(old) if now.get(t) != old.get(t)}
    wanted = sorted(t for t in changed if t in now)
    blobs = read_objects(repo, [now[t] for t in wanted])
    db.executemany("DELETE FROM notes WHERE target = ?", [(t,) for t in changed - set(now)])
    db.executemany(
        "INSERT OR REPLACE INTO notes VALUES (?, ?, ?)",
        [
            (t, now[t], dumps(parse_facts((raw or b"").decode(errors="replace").splitlines())))
            for t, raw in zip(wanted, blobs, strict=True)
        ],
    )
    db.execute("INSERT OR REPLACE INTO meta VALUES ('notes', ?)", (notes_now or "",))
    return changed


def refresh(repo: gitstore.Repo, db: sqlite3.Connection, fp: str | None) -> None:
    """Bring the index up to date with the refs, in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        runs_now, notes_now = _listing(repo)
        changed = _refresh_notes(repo, db, notes_now)
        known = {
            str(i): (str(c), int(n)) for n, i, c in db.execute("SELECT n, id, commit_ FROM runs")
        }
        bad = {str(i): str(c) for i, c in db.execute("SELECT id, commit_ FROM bad")}
        drop = {n for i, (c, n) in known.items() if runs_now.get(i) != c or c in changed}
        db.executemany("DELETE FROM runs WHERE n = ?", [(n,) for n in drop])
        db.executemany("DELETE FROM texts WHERE n = ?", [(n,) for n in drop])
        db.executemany(
            "DELETE FROM bad WHERE id = ?",
            [(i,) for i, c in bad.items() if runs_now.get(i) != c or c in changed],
        )
        kept = {i for i, (c, n) in known.items() if n not in drop}
        bad_kept = {i for i, c in bad.items() if runs_now.get(i) == c and c not in changed}
        todo = [i for i in runs_now if i not in kept and i not in bad_kept]
        _add_runs(repo, db, todo, runs_now)
        if drop or todo or changed:
            db.execute(
                "INSERT OR REPLACE INTO meta SELECT 'generation', coalesce(max(CAST(v AS INTEGER)), 0) + 1 "
                "FROM meta WHERE k = 'generation'"
            )
        db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fp or "",))
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            db.execute("ROLLBACK")
        raise


def _add_runs(
    repo: gitstore.Repo, db: sqlite3.Connection, todo: list[str], runs_now: dict[str, str]
) -> None:
    valid = []
    for name in todo:
        if RUN_ID.fullmatch(name):
            valid.append(name)
        else:
            why = f"ref {gitstore.RUNS_PREFIX}{name!r} is not a run id"
            db.execute("INSERT OR REPLACE INTO bad VALUES (?, ?, ?)", (name, runs_now[name], why))
    if not valid:
        return
    valid.sort()  # ids in time order: the texts table is then read in order
    commits = [runs_now[i] for i in valid]
    facts = {str(t): str(f) for t, f in db.execute("SELECT target, facts FROM notes") if f != "[]"}
    start = int(db.execute("SELECT coalesce(max(n), 0) FROM runs").fetchone()[0]) + 1
    stage = []
    for k, (run_id, raw) in enumerate(zip(valid, read_objects(repo, commits), strict=True)):
        parent, text = _split_commit(raw)
        if text is not None:
            text = record.cut_distributions(text)[0] if '"distributions":{' in text else text
        stage.append((start + k, run_id, commits[k], parent, text, facts.get(commits[k])))
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stage "
        "(n INTEGER PRIMARY KEY, id TEXT, commit_ TEXT, parent TEXT, body TEXT, facts TEXT)"
    )
    db.execute("DELETE FROM stage")
    db.executemany("INSERT INTO stage VALUES (?, ?, ?, ?, ?, ?)", stage)
    db.execute(_FAST_INSERT)
    db.execute(_FAST_TEXTS)
    slow = db.execute(
        "SELECT s.n, s.id, s.commit_, s.parent, s.body, s.facts FROM stage AS s "
        "WHERE s.n NOT IN (SELECT n FROM texts WHERE n >= ?)",
        (start,),
    ).fetchall()
    _add_slowly(db, slow)
    db.execute("DELETE FROM stage")


def _add_slowly(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Rows SQLite did not take as they are: parsed and checked in Python."""
    db.executemany("DELETE FROM runs WHERE n = ?", [(r[0],) for r in rows])
    for n, run_id, commit, parent, text, facts in rows:
        try:
            row, out = _row(run_id, commit, parent, text, json.loads(facts) if facts else [])
        except GitopsError as exc:
            db.execute("INSERT OR REPLACE INTO bad VALUES (?, ?, ?)", (run_id, commit, str(exc)))
            continue
        db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (n, *row))
        db.execute("INSERT INTO texts VALUES (?, ?)", (n, out))


def _row(
    run_id: str, commit: str, parent: str | None, text: str | None, facts: list[dict[str, Any]]
) -> tuple[tuple[Any, ...], str]:
    """The ``runs`` row (without ``n``) and the ``--json`` text of one run."""
    from gitops_ml.runs import recordcheck, runstatus

    if text is None:
        raise record.CorruptRecord(run_id, "its commit is missing")
    cut, count = record.cut_distributions(text)
    try:
        rec = json.loads(cut)
    except ValueError as exc:
        raise record.CorruptRecord(run_id, f"not JSON: {exc}") from None
    why = recordcheck.problem(run_id, rec)
    if why is not None:
        raise record.CorruptRecord(run_id, why)
    env = rec.get("environment")
    if count is not None and isinstance(env, dict):
        env["distributions_count"] = count
    elif isinstance(env, dict) and isinstance(env.get("distributions"), dict):
        rec["environment"] = record.slim(rec)["environment"]
    if not isinstance(rec.get("git"), dict):
        rec["git"] = {}
    rec["git"]["snapshot"] = commit
    rec["notes"] = facts
    rec["status"] = runstatus.status(rec)
    rec["tags"] = runstatus.tags(rec)
    user = rec.get("user") or {}
    who = user.get("email") or user.get("name") or "?"
    row = (
        run_id,
        commit,
        parent,
        rec.get("name"),
        rec.get("started"),
        rec.get("exit_code"),
        rec["status"],
        who if isinstance(who, str) else "?",
        dumps(rec.get("params") or {}),
        dumps(rec.get("metrics") or {}),
        dumps(rec["tags"]),
    )
    return row, dumps(rec)
