"""The local query index (.git/gitops-ml/index.sqlite) never goes stale."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import cli, cli_json, git, run_ids


def names(repo: Path) -> list[str]:
    return sorted(r["name"] for r in cli_json(repo, "runs", "ls"))


def test_index_refreshes_after_a_plain_git_fetch(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(project), str(other))
    assert cli(other, "run", "-n", "mine", "--", "true").returncode == 0
    assert names(other) == ["mine"]  # index built
    assert (other / ".git" / "gitops-ml" / "index.sqlite").exists()
    assert (
        cli(
            project, "run", "-n", "theirs", "-p", "lr=0.3", "--", sys.executable, "train.py"
        ).returncode
        == 0
    )
    git(other, "fetch", "-q", "origin", "+refs/runs/*:refs/runs/*")
    assert names(other) == ["mine", "theirs"]
    theirs = next(r for r in cli_json(other, "runs", "ls") if r["name"] == "theirs")
    assert theirs["metrics"]["accuracy"] == 0.97
    # a run ref deleted elsewhere and pruned by fetch leaves the index too
    git(other, "update-ref", "-d", f"refs/runs/{theirs['id']}")
    assert names(other) == ["mine"]


def test_index_sees_new_notes_and_survives_deletion_and_damage(project: Path) -> None:
    assert cli(project, "run", "-n", "a", "--", "true").returncode == 0
    [run_id] = run_ids(project)
    assert cli_json(project, "runs", "ls")[0]["notes"] == []
    # a later fact appended to the run commit's notes with plain git
    git(
        project,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        '{"type":"tag","tag":"prod"}',
        f"refs/runs/{run_id}",
    )
    [row] = cli_json(project, "runs", "ls")
    assert row["notes"] == [{"type": "tag", "tag": "prod"}]
    index = project / ".git" / "gitops-ml" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    index.write_text("{not an index" * 1000)
    assert names(project) == ["a"]
    assert index.read_bytes().startswith(b"SQLite format 3\x00")  # rebuilt
    index.write_bytes(index.read_bytes()[:1000])  # truncated, as by a full disk
    assert names(project) == ["a"]
    index.unlink()
    assert names(project) == ["a"]
    assert index.exists()


def test_a_rebuilt_index_never_serves_an_older_listing(project: Path) -> None:
    """``ls.json`` (the whole ``--json`` listing) is copied while its generation matches
    the index's; an index rebuilt from nothing must not match a listing of an older one."""
    assert cli(project, "run", "-n", "a", "--", "true").returncode == 0
    assert names(project) == ["a"]
    state = project / ".git" / "gitops-ml"
    assert (state / "ls.json").exists()
    assert cli(project, "run", "-n", "b", "--", "true").returncode == 0
    for path in state.glob("index.sqlite*"):
        path.unlink()
    assert names(project) == ["a", "b"]


# ---------------------------------------------------------------- fuzzing records

import json  # noqa: E402
import random  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.runs.helpers import new_id, record, write_run  # noqa: E402
from tests.runs.test_query import _cli_in_process  # noqa: E402

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = list(record("X"))


@st.composite
def bodies(draw: st.DrawFn, run_id: str) -> str:
    kind = draw(st.sampled_from(["mutated", "random", "text"]))
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "random":
        return json.dumps(draw(json_values))
    rec = record(run_id)
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4)):
        rec[key] = draw(json_values)
    return json.dumps(rec)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_records_never_break_listing(project: Path, data: st.DataObject) -> None:
    run_id = new_id(random.Random(data.draw(st.integers(0, 2**32))))
    body = data.draw(bodies(run_id))
    write_run(project, run_id, body)
    for args in (["runs", "ls", "--json"], ["runs", "ls"], ["status", "--json"], ["status"]):
        code, out, err = _cli_in_process(project, *args)
        assert code == 0, (args, err)
        assert "unexpected error" not in err and "Traceback" not in err
        if "--json" in args:
            json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    code, out, err = _cli_in_process(project, "runs", "show", run_id)
    assert code in (0, 3), err
    assert "unexpected error" not in err and (code == 0 or err.count("\n") == 1)
    code, out, err = _cli_in_process(project, "runs", "show", "--json", run_id)
    assert code in (0, 3), err


def _age_refs(repo: Path) -> None:
    """Move the ref storage's mtimes past the index's racy window (2 s), as time would."""
    import os
    import time

    past = time.time() - 60
    for rel in ("packed-refs", "refs/runs", "refs/notes", "refs/notes/gitops-ml", "refs/gitops-ml"):
        p = repo / ".git" / rel
        if p.exists():
            os.utime(p, (past, past))


def test_last_data_entries_kept_while_the_refs_rest(tmp_path: Path) -> None:
    """data status reads each path's last entry from a small derived file while the refs
    have not moved (no database opened), and from the index again once they move."""
    from tests.data_helpers import make_data_project, record_run, status_rows

    repo = make_data_project(tmp_path / "p", None)
    first = record_run(repo)
    _age_refs(repo)
    state = repo / ".git" / "gitops-ml"
    assert {r["recorded"]["run"] for r in status_rows(repo).values()} == {first}
    assert (state / "data-last.json").exists()
    for db in state.glob("index.sqlite*"):
        db.unlink()
    assert {r["recorded"]["run"] for r in status_rows(repo).values()} == {first}
    assert not list(state.glob("index.sqlite*"))  # answered without the database
    (repo / "images" / "new.txt").write_text("new\n")
    second = record_run(repo)
    _age_refs(repo)  # the refs moved: the saved entries no longer match them
    rows = status_rows(repo)
    assert {r["recorded"]["run"] for r in rows.values()} == {second}
    assert all(r["state"] == "unchanged" for r in rows.values())
    (state / "data-last.json").write_text("{not json")  # damaged: rebuilt from the index
    assert {r["recorded"]["run"] for r in status_rows(repo).values()} == {second}


def test_a_page_is_the_top_rows_and_the_whole_count(project: Path) -> None:
    """``page`` (one scan: the shown rows and a window count) agrees with ``records`` and
    ``count`` for a filter, a sort, a page smaller and larger than the matches, and none."""
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index, query

    rng = random.Random(11)
    for i in range(12):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        write_run(project, run_id, record(run_id, name=f"r{i}", metrics={"acc": i / 10}))
    idx = index.load(gitstore.open_repo(project), quiet=True)
    where, order = query.where_sql("metrics.acc > 0.25"), query.order_sql("-metrics.acc")
    for limit in (0, 1, 4, 9, 50):
        got, total = idx.page(where=where, order=order, limit=limit)
        want = idx.records(where=where, order=order, limit=limit)
        assert [r["id"] for r in got] == [r["id"] for r in want]
        assert total == idx.count(where=where) == 9
    assert [r["name"] for r in idx.page(where=where, order=order, limit=2)[0]] == ["r11", "r10"]
    assert idx.page(where=query.where_sql("metrics.acc > 5"), limit=3) == ([], 0)


def test_last_data_is_the_newest_entry_of_each_path(project: Path) -> None:
    """Picked in SQL: per path, the newest run's entry (the later one when a record lists
    a path twice), the same as reading every record in order."""
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index

    rng = random.Random(3)

    def entry(path: str, digest: str) -> dict[str, object]:
        return {"path": path, "hash": digest * 64, "kind": "dir", "size": 1, "files": 1}

    datas = [
        [entry("data", "a"), entry("raw", "b")],
        [entry("data", "c")],
        [entry("raw", "d"), entry("raw", "e")],
        [],
    ]
    ids = []
    for i, data in enumerate(datas):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        ids.append(run_id)
        write_run(project, run_id, record(run_id, data=data))
    idx = index.load(gitstore.open_repo(project), quiet=True)
    by_reading: dict[str, tuple[str, dict[str, object]]] = {}
    for rec in idx.runs():
        for item in rec.get("data") or []:
            by_reading[str(item["path"])] = (str(rec["id"]), item)
    got = idx.last_data()
    assert got == by_reading
    assert {p: (i, e["hash"][0]) for p, (i, e) in got.items()} == {
        "data": (ids[1], "c"),
        "raw": (ids[2], "e"),
    }


def test_last_data_resting_gives_the_refs_fingerprint_only_at_rest(tmp_path: Path) -> None:
    """The fingerprint comes with the entries only while the refs rest and every run is
    readable (the unreadable run's warning is part of the answer): from the database and
    from the derived file alike."""
    from gitops_ml.core import gitstore, refstamp
    from gitops_ml.runs import index
    from tests.data_helpers import make_data_project, record_run

    repo = make_data_project(tmp_path / "p", None)
    run = record_run(repo)
    opened = gitstore.open_repo(repo)
    last, fp = index.last_data_resting(opened)
    assert fp is None and {r for r, _ in last.values()} == {run}  # refs just moved
    _age_refs(repo)
    for _ in range(2):  # built from the database, then read from data-last.json
        last, fp = index.last_data_resting(opened)
        assert fp is not None and fp == refstamp.fingerprint(repo / ".git")
        assert {r for r, _ in last.values()} == {run}
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV", head)  # not a run
    _age_refs(repo)
    for _ in range(2):
        last, fp = index.last_data_resting(opened)
        assert fp is None and {r for r, _ in last.values()} == {run}


def test_iter_runs_prefilters_agree_with_reading_every_record(project: Path) -> None:
    """``iter_runs(mentioning=, made_on=)`` (a substring search and a base lookup inside
    SQLite) returns exactly the runs a full read would pick, in order, lazily; the lineage
    questions answered through it agree with asking every record."""
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index, lineage

    rng = random.Random(5)
    digests = [f"{c}" * 64 for c in "abcd"]

    def item(digest: str, kind: str = "file") -> dict[str, object]:
        return {"path": "p", "hash": digest, "kind": kind, "size": 1, "files": 1}

    for i in range(16):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        fields: dict[str, object] = {
            "outputs": [item(rng.choice(digests))] if i % 3 else [],
            "artifacts": [item(rng.choice(digests))] if i % 4 == 0 else [],
            "data": [item(rng.choice(digests), rng.choice(["file", "dir"]))] if i % 2 else [],
            "params": {"decoy": rng.choice(digests)} if i % 5 == 0 else {},
            "git": {"base": rng.choice(["1" * 40, "2" * 40]), "tree": None},
        }
        write_run(project, run_id, record(run_id, **fields))
    idx = index.load(gitstore.open_repo(project), quiet=True)
    every = idx.runs()
    texts = {r["id"]: idx.json_text(r["id"]) for r in every}
    for needles, on in (([digests[0]], []), ([digests[1], digests[2]], ["1" * 40]), ([], [])):
        got = [r["id"] for r in idx.iter_runs(mentioning=needles, made_on=on)]
        want = [
            r["id"]
            for r in every
            if not (needles or on)
            or any(n in texts[r["id"]] for n in needles)
            or r["git"]["base"] in on
        ]
        assert got == want
    newest = idx.iter_runs(newest_first=True)
    assert next(newest)["id"] == every[-1]["id"]
    for digest in [*digests, digests[0][:10], "e" * 64]:
        prefiltered = list(idx.iter_runs(mentioning=[digest]))
        assert lineage.producers(prefiltered, digest) == lineage.producers(every, digest)
        assert lineage.consumers(prefiltered, digest) == lineage.consumers(every, digest)
    dirs = {
        str(e["hash"])
        for r in every
        for part in ("data", "outputs", "artifacts")
        for e in r.get(part) or []
        if e["kind"] == "dir"
    }
    assert idx.recorded_hashes("dir") == dirs and dirs
