"""Refreshing the index: SQLite's fast path and the Python path give the same rows."""

from __future__ import annotations

import random
from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.runs import index, indexbuild
from tests.conftest import git
from tests.runs.helpers import new_id, record, write_run


def test_fast_and_slow_paths_agree(project: Path) -> None:
    rng = random.Random(6)
    plain = new_id(rng, ms=1_700_000_000_000)
    odd = new_id(rng, ms=1_700_000_000_001)
    fields = {"params": {"lr": 0.1}, "metrics": {"acc": 0.5}, "tags": ["t"], "name": "n"}
    write_run(project, plain, record(plain, **fields))
    write_run(project, odd, record(odd, **fields, duration=float("nan")))  # Python's way
    repo = gitstore.open_repo(project)
    idx = index.load(repo, quiet=True)
    rows = {r["id"]: r for r in idx.runs()}
    for run_id in (plain, odd):
        row = rows[run_id]
        assert row["status"] == "ok" and row["notes"] == [] and row["tags"] == ["t"]
        assert row["git"]["snapshot"] == git(project, "rev-parse", f"refs/runs/{run_id}").strip()
    got = idx.db.execute(
        "SELECT id, parent, name, exit_code, status, user, params FROM runs"
    ).fetchall()
    head = git(project, "rev-parse", "HEAD").strip()
    assert sorted(got) == sorted(
        (i, head, "n", 0, "ok", "a@example.com", '{"lr":0.1}') for i in (plain, odd)
    )


def test_read_objects_marks_missing_ones(project: Path) -> None:
    repo = gitstore.open_repo(project)
    head = git(project, "rev-parse", "HEAD").strip()
    got = indexbuild.read_objects(repo, [head, "0" * 40, head])
    assert (
        got[0] is not None and got[0].startswith(b"tree ") and got[1] is None and got[2] == got[0]
    )
    assert indexbuild.read_objects(repo, []) == []


def test_unchanged_refs_mean_no_git_call(project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_id = new_id(random.Random(8))
    write_run(project, run_id, record(run_id))
    repo = gitstore.open_repo(project)
    old = 1_600_000_000
    import os

    for path in [repo.common_dir / "refs" / "runs", repo.common_dir / "refs" / "runs" / run_id]:
        os.utime(path, (old, old))
    assert [r["id"] for r in index.load(repo, quiet=True).runs()] == [run_id]
    calls: list[object] = []
    monkeypatch.setattr(indexbuild, "refresh", lambda *a: calls.append(a))
    assert [r["id"] for r in index.load(repo, quiet=True).runs()] == [run_id]
    assert calls == []  # trusted fingerprint: nothing asked of git
    new = new_id(random.Random(9))
    write_run(project, new, record(new))  # refs/runs/ moves: refreshed
    index.load(repo, quiet=True)
    assert len(calls) == 1


def test_fast_check_of_lists_item_by_item_and_by_json_each() -> None:
    """The SQL list checks (item by item up to 4 items, json_each beyond) accept exactly
    the arrays whose every item has the kind, at every length and position of a wrong one,
    and never accept what the Python check refuses."""
    import json
    import sqlite3

    from gitops_ml.runs import recordcheck

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE stage (id TEXT, body TEXT)")
    sql = f"SELECT {indexbuild._fast_check()} FROM stage AS s"
    rng = random.Random(8)
    good = {"data": {"path": "d", "hash": "h"}, "tags": "t", "command": "python"}
    bad = {"data": "x", "tags": 1, "command": {"a": 1}}
    for key in ("data", "tags", "command"):
        for n in range(7):
            for wrong in [None, *range(n)]:
                run_id = new_id(rng)
                items = [bad[key] if i == wrong else good[key] for i in range(n)]
                rec = record(run_id, schema=2, git={"base": None, "tree": None}, **{key: items})
                db.execute("DELETE FROM stage")
                db.execute("INSERT INTO stage VALUES (?, ?)", (run_id, json.dumps(rec)))
                fast = bool(db.execute(sql).fetchone()[0])
                assert fast == (wrong is None), (key, n, wrong)
                if fast:
                    assert recordcheck.problem(run_id, rec) is None
