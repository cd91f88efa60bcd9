"""The local query index: a derived SQLite database of every run, refreshed incrementally.

``.git/gitops-ml/index.sqlite`` (standard library :mod:`sqlite3`) holds, per run, a few
scalar columns (id, commit, parent, name, started, exit code, status), small JSON
columns (params, metrics, effective tags) and, in a separate table, the run's
``runs ls --json`` text (record + notes facts + status, strict JSON). ``--where`` and
``--sort`` compile to SQL over the small columns (:mod:`gitops_ml.runs.query`), so a
filtered, sorted, limited query reads only what it needs; listing as JSON copies stored
texts without decoding a record.

Derived state: deleting it loses nothing. Each use compares a stat fingerprint of the
ref storage (packed-refs, ``refs/runs/``, the notes ref) with the one saved; only when it
moved is git asked (one ``for-each-ref``), and only new or changed runs are read (one
``cat-file --batch``), only changed notes blobs. A fingerprint younger than two seconds
is not trusted (a ref moved within the same clock tick would look unchanged), as git
does with its racy index. Which runs were made on a commit comes from the run commits'
parents (the ``parent`` column, ``--here``).

Unreadable runs (a record of the wrong shape, a ref name that is not a run id) are kept
in a ``bad`` table and reported with one warning line each per command.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path

from gitops_ml.core import gitstore, record, refstamp
from gitops_ml.core.errors import UsageError
from gitops_ml.core.facts import parse_facts

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Any, BinaryIO

    from gitops_ml.runs.query import Sql

INDEX_VERSION = 4
FILE = "index.sqlite"
LISTING = "ls.json"  # the whole `runs ls --json` output, while the index is unchanged
DATA_LAST = "data-last.json"  # each data path's last recorded entry, while the refs rest
_OLD_FILES = ("index.bin", "records.bin")  # the marshal index of 0.1
RUN_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID, as refs/runs/<id> must be named
_SCHEMA = """
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE runs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    commit_ TEXT NOT NULL,
    parent TEXT,
    name TEXT,
    started TEXT,
    exit_code INTEGER,
    status TEXT,
    user TEXT,
    params TEXT,
    metrics TEXT,
    tags TEXT
);
CREATE INDEX runs_parent ON runs (parent);
CREATE TABLE texts (n INTEGER PRIMARY KEY, out TEXT NOT NULL);
CREATE TABLE bad (id TEXT PRIMARY KEY, commit_ TEXT, why TEXT);
CREATE TABLE notes (target TEXT PRIMARY KEY, blob TEXT, facts TEXT);
"""


class RunIndex:
    """The refreshed index of one repository; queries return texts or parsed records."""

    def __init__(self, repo: gitstore.Repo, db: sqlite3.Connection) -> None:
        self.repo = repo
        self.db = db

    # -- queries

    def _query(
        self,
        columns: str,
        *,
        where: Sql | None = None,
        order: Sql | None = None,
        here: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[str, dict[str, Any]]:
        from gitops_ml.runs.query import uses_text

        join = "t." in columns or (where is not None and uses_text(where))
        join = join or (order is not None and uses_text(order))
        sql = f"SELECT {columns} FROM runs AS r" + (" JOIN texts AS t ON t.n = r.n" if join else "")
        params: dict[str, Any] = {}
        conds = []
        if here is not None:
            conds.append("r.parent = :here")
            params["here"] = here
        if where is not None:
            conds.append(where.text)
            params.update(where.params)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if order is not None:
            sql += f" ORDER BY {order.text}, r.id DESC"
            params.update(order.params)
        elif not columns.startswith("count("):
            sql += " ORDER BY r.id DESC"
        if limit is not None:
            sql += " LIMIT :limit OFFSET :offset"
            params.update(limit=limit, offset=offset)
        return sql, params

    def _run(self, sql: str, params: dict[str, Any]) -> list[Any]:
        import sqlite3

        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # e.g. an expression deeper than SQLite allows
            raise UsageError(f"--where/--sort: the query cannot run ({exc})") from None

    def count(self, *, where: Sql | None = None, here: str | None = None) -> int:
        """How many runs match."""
        sql, params = self._query("count(*)", where=where, here=here)
        return int(self._run(sql, params)[0][0])

    def texts(
        self,
        *,
        where: Sql | None = None,
        order: Sql | None = None,
        here: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[str]:
        """The matching runs' ``--json`` texts, newest first unless ``order`` says otherwise."""
        sql, params = self._query(
            "t.out", where=where, order=order, here=here, limit=limit, offset=offset
        )
        return [row[0] for row in self._run(sql, params)]

    def write_json_array(
        self,
        out: BinaryIO,
        *,
        where: Sql | None = None,
        order: Sql | None = None,
        here: str | None = None,
        limit: int | None = None,
    ) -> None:
        """Write the matching runs to ``out`` as one JSON array (``runs ls --json``).

        Built inside SQLite (no Python object per run). The whole listing, newest first,
        is also kept in ``ls.json`` beside the database and copied from there while the
        index has not changed (its generation is the file's first line).
        """
        whole = where is None and order is None and here is None and limit is None
        if whole and self._copy_listing(out):
            return
        sql, params = self._query("t.out", where=where, order=order, here=here, limit=limit)
        row = self._run(f"SELECT CAST(group_concat(out, ',') AS BLOB) FROM ({sql})", params)
        body = b"[" + (row[0][0] or b"") + b"]\n"
        if whole:
            self._save_listing(body)
        out.write(body)

    def _generation(self) -> bytes:
        row = self.db.execute("SELECT v FROM meta WHERE k = 'generation'").fetchone()
        return f"{INDEX_VERSION}.{row[0] if row else 0}".encode()

    def _copy_listing(self, out: BinaryIO) -> bool:
        import shutil

        try:
            with open(self.repo.state_dir / LISTING, "rb") as fh:
                if fh.readline().rstrip(b"\n") != self._generation():
                    return False
                shutil.copyfileobj(fh, out, 1 << 20)
                return True
        except OSError:
            return False

    def _save_listing(self, body: bytes) -> None:
        from gitops_ml.core.atomic import write_atomic

        with contextlib.suppress(OSError):
            write_atomic(
                self.repo.state_dir / LISTING, self._generation() + b"\n" + body, durable=False
            )

    def records(
        self,
        *,
        where: Sql | None = None,
        order: Sql | None = None,
        here: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The matching runs as records (with ``notes`` and ``status``), parsed."""
        return [
            json.loads(t)
            for t in self.texts(where=where, order=order, here=here, limit=limit, offset=offset)
        ]

    def page(
        self,
        *,
        where: Sql | None = None,
        order: Sql | None = None,
        here: str | None = None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """The first ``limit`` matching runs as records, and how many match in all: one
        scan (a window count beside the top rows), then only the shown texts are read."""
        sql, params = self._query("r.n, count(*) OVER ()", where=where, order=order, here=here)
        sql += " LIMIT :limit"
        params["limit"] = max(1, limit)  # the count comes with the rows: at least one
        rows = self._run(sql, params)
        if not rows:
            return [], 0
        shown = [int(n) for n, _ in rows[:limit]]
        marks = ",".join("?" * len(shown))
        outs = dict(self.db.execute(f"SELECT n, out FROM texts WHERE n IN ({marks})", shown))
        return [json.loads(outs[n]) for n in shown], int(rows[0][1])

    def last_data(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``path -> (run id, data entry)`` of the newest run (by id) recording each data
        path, picked in SQL: only the entries kept are parsed, not every record."""
        sql = (
            "SELECT path, id, entry FROM (SELECT json_extract(j.value, '$.path') AS path, "
            "r.id AS id, j.value AS entry, row_number() OVER (PARTITION BY "
            "json_extract(j.value, '$.path') ORDER BY r.id DESC, j.key DESC) AS k "
            "FROM runs AS r JOIN texts AS t ON t.n = r.n, json_each(t.out, '$.data') AS j) "
            "WHERE k = 1"
        )
        return {str(p): (str(i), json.loads(e)) for p, i, e in self.db.execute(sql)}

    def runs(self) -> list[dict[str, Any]]:
        """Every readable run, oldest first, each with its ``notes`` facts attached."""
        return list(self.iter_runs())

    def iter_runs(
        self,
        *,
        newest_first: bool = False,
        mentioning: Sequence[str] = (),
        made_on: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """The readable runs (with ``notes`` facts), each parsed only when reached: a
        caller that stops early parses no more.

        With ``mentioning`` and/or ``made_on``, only the runs whose stored text contains
        one of the ``mentioning`` strings (a substring search inside SQLite, no parse) or
        whose record's ``git.base`` is one of the ``made_on`` commits: the cheap first
        pass of a question the caller then checks exactly on what comes back (100,000
        runs: ~0.2 s instead of parsing every record, ~3 s).
        """
        conds = [f"instr(t.out, :m{i}) > 0" for i in range(len(mentioning))]
        params: dict[str, Any] = {f"m{i}": m for i, m in enumerate(mentioning)}
        if made_on:
            conds.append("json_extract(t.out, '$.git.base') IN (SELECT value FROM json_each(:on))")
            params["on"] = json.dumps(list(made_on))
        sql = "SELECT t.out FROM runs AS r JOIN texts AS t ON t.n = r.n"
        if conds:
            sql += " WHERE " + " OR ".join(conds)
        sql += " ORDER BY r.id" + (" DESC" if newest_first else "")
        for row in self.db.execute(sql, params):
            yield json.loads(row[0])

    def recorded_hashes(self, kind: str) -> set[str]:
        """The distinct hashes of the data, outputs and artifacts of ``kind`` (``dir``:
        the manifests) that any run recorded, found inside SQLite."""
        sql = (
            "SELECT DISTINCT json_extract(j.value, '$.hash') FROM texts AS t, json_each(t.out) "
            "AS part, json_each(part.value) AS j WHERE part.key IN ('data', 'outputs', "
            "'artifacts') AND part.type = 'array' AND j.type = 'object' "
            "AND json_extract(j.value, '$.kind') = :kind"
        )
        return {str(h) for (h,) in self.db.execute(sql, {"kind": kind}) if h}

    def json_text(self, run_id: str) -> str:
        """The run as ``runs ls --json`` prints it: record, ``notes`` and ``status``."""
        row = self.db.execute(
            "SELECT t.out FROM runs AS r JOIN texts AS t ON t.n = r.n WHERE r.id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise KeyError(run_id)
        return str(row[0])

    def by_user(self) -> list[tuple[str, int]]:
        """``(email or name, runs)`` per person, most runs first."""
        sql = "SELECT user, count(*) AS c FROM runs GROUP BY user ORDER BY c DESC, user"
        return [(str(u or "?"), int(c)) for u, c in self.db.execute(sql)]

    def bad(self) -> list[tuple[str, str]]:
        """``(run id or ref name, why)`` of every run that cannot be read."""
        return [(str(i), str(w)) for i, w in self.db.execute("SELECT id, why FROM bad ORDER BY id")]

    def resolve(self, prefix: str) -> tuple[str, str]:
        """``(run id, commit)`` for a unique prefix (unreadable runs included)."""
        from gitops_ml.core import ids

        want = ids.normalize(prefix)
        if want and RUN_ID.fullmatch(want.ljust(26, "0")):
            hits = self.db.execute(
                "SELECT id, commit_ FROM runs WHERE id >= :p AND id < :p || 'z' "
                "UNION SELECT id, commit_ FROM bad WHERE id >= :p AND id < :p || 'z' LIMIT 6",
                {"p": want},
            ).fetchall()
        else:
            hits = []
        commits = {str(i): str(c) for i, c in hits}
        run_id = ids.resolve(prefix, commits)
        return run_id, commits[run_id]


# ---------------------------------------------------------------- opening


def _fingerprint(repo: gitstore.Repo) -> str | None:
    """A stat summary of where refs live; None when too recent to trust (racy)."""
    return refstamp.fingerprint(repo.common_dir)


def _connect(path: Path | None) -> sqlite3.Connection:
    import sqlite3

    db = sqlite3.connect(
        ":memory:" if path is None else str(path), isolation_level=None, timeout=30
    )
    db.execute("PRAGMA synchronous = OFF")  # derived data: a torn write is rebuilt
    db.execute("PRAGMA journal_mode = WAL" if path is not None else "PRAGMA journal_mode = OFF")
    return db


def _version_ok(db: sqlite3.Connection) -> bool:
    import sqlite3

    try:
        row = db.execute("SELECT v FROM meta WHERE k = 'version'").fetchone()
    except sqlite3.OperationalError:  # no table yet: build it
        return False
    return row is not None and row[0] == f"{INDEX_VERSION}"


def _create(db: sqlite3.Connection) -> None:
    # a new database's generations start at its creation time, never at 1: the listing
    # file (``ls.json``) of an index deleted or rebuilt before must not match this one's
    drops = "".join(f"DROP TABLE IF EXISTS {t};" for t in ("meta", "runs", "texts", "bad", "notes"))
    db.executescript(
        f"BEGIN IMMEDIATE;{drops}{_SCHEMA}"
        f"INSERT INTO meta VALUES ('version', '{INDEX_VERSION}');"
        f"INSERT INTO meta VALUES ('generation', '{time.time_ns()}');COMMIT;"
    )


def _open_db(repo: gitstore.Repo) -> sqlite3.Connection:
    """The index database, created or rebuilt when missing, damaged or of another version."""
    import sqlite3

    path = repo.state_dir / FILE
    for old in _OLD_FILES:
        with contextlib.suppress(OSError):
            (repo.state_dir / old).unlink()
    for _ in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = _connect(path)
            if not _version_ok(db):
                _create(db)
            return db
        except sqlite3.DatabaseError:  # not a database, or damaged: it is only a cache
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{path}{suffix}")
        except OSError:
            break
    db = _connect(None)  # a read-only .git still answers queries, from memory
    _create(db)
    return db


def load(repo: gitstore.Repo, *, quiet: bool = False) -> RunIndex:
    """The index, refreshed against the refs (no git call at all when nothing moved)."""
    import sqlite3

    db = _open_db(repo)
    fp = _fingerprint(repo)
    saved = db.execute("SELECT v FROM meta WHERE k = 'fingerprint'").fetchone()
    if fp is None or saved is None or saved[0] != fp:
        from gitops_ml.runs import indexbuild

        try:
            indexbuild.refresh(repo, db, fp)
        except sqlite3.DatabaseError:  # damaged under us: start again, in memory if need be
            db.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{repo.state_dir / FILE}{suffix}")
            db = _open_db(repo)
            indexbuild.refresh(repo, db, fp)
    idx = RunIndex(repo, db)
    if not quiet:
        _warn_bad(idx.bad())
    return idx


def _warn_bad(bad: Iterable[tuple[str, str]]) -> None:
    """One warning line per unreadable run."""
    rendered = None
    for _run_id, why in bad:
        if rendered is None:
            from gitops_ml.ui.render import clean  # ~1 ms: only with something to say

            rendered = clean
        print(rendered(f"gitops-ml: warning: {why}; skipped"), file=sys.stderr)


def last_data(repo: gitstore.Repo) -> dict[str, tuple[str, dict[str, Any]]]:
    """``path -> (run id, data entry)``: the last run (by id) that recorded each data path.

    Derived from the index and kept in ``.git/gitops-ml/data-last.json`` under the same
    ref fingerprint that lets the index skip its refresh: while the refs rest (and for
    two seconds after they move, as the index), ``data status`` reads this small file
    instead of opening the database (sqlite3 and the query: ~5 ms). Unreadable runs
    are warned about either way.
    """
    return last_data_resting(repo)[0]


def last_data_resting(
    repo: gitstore.Repo,
) -> tuple[dict[str, tuple[str, dict[str, Any]]], str | None]:
    """:func:`last_data` and the refs' fingerprint (:mod:`gitops_ml.core.refstamp`) it
    holds for: None when the refs moved within the racy window or while they were read,
    or when a run is unreadable (its warning is part of the answer)."""
    fp = _fingerprint(repo)
    key = f"{INDEX_VERSION}|{fp}"
    path = repo.state_dir / DATA_LAST
    if fp is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                saved = json.load(fh)
            if saved["key"] == key:
                _warn_bad((str(i), str(w)) for i, w in saved["bad"])
                last = {str(p): (str(r), dict(e)) for p, (r, e) in saved["last"].items()}
                return last, None if saved["bad"] else fp
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass
    idx = load(repo, quiet=True)
    bad = idx.bad()
    _warn_bad(bad)
    last = idx.last_data()
    if fp is not None and fp == _fingerprint(repo):  # nothing moved while it was read
        from gitops_ml.core.atomic import write_atomic

        text = json.dumps({"key": key, "bad": bad, "last": last}, separators=(",", ":"))
        with contextlib.suppress(OSError):
            write_atomic(path, text, durable=False, mkdir=True)
        return last, None if bad else fp
    return last, None


# ---------------------------------------------------------------- single runs


def resolve(repo: gitstore.Repo, prefix: str) -> tuple[str, str]:
    """``(run id, commit)`` for a unique prefix of a run id."""
    return load(repo, quiet=True).resolve(prefix)


def full_record(repo: gitstore.Repo, prefix: str) -> dict[str, Any]:
    """The complete record of one run (distributions included) with its notes facts."""
    from gitops_ml.runs import recordcheck, runstatus

    run_id, commit = resolve(repo, prefix)
    text = gitstore.read_run_records(repo, [commit])[0]
    try:
        why = recordcheck.problem(run_id, json.loads(text)) if text is not None else None
    except ValueError:
        why = None  # record.loads says what is wrong with it
    if why is not None:
        raise record.CorruptRecord(run_id, why)
    rec = record.with_full_environment(repo, record.loads(run_id, text, commit))
    rec["notes"] = parse_facts(gitstore.read_notes(repo, [commit]).get(commit, []))
    rec["tags"] = runstatus.tags(rec)
    return rec
