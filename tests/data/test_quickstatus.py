"""``data status`` answered at start-up from the last run's rows (``quickstatus``), through
the real CLI: used only while every input is as it was, the same output as the whole
path, and the whole path's behaviour for everything else."""

from __future__ import annotations

import json
import marshal
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import cli, git, make_project, write
from tests.data_helpers import age, record_run

SNAPSHOT = Path(".git/gitops-ml/status-quick.bin")
REF_PLACES = ("packed-refs", "refs/runs", "refs/notes", "refs/notes/gitops-ml", "refs/gitops-ml")


def _rest(repo: Path) -> None:
    """The refs as if they moved a while ago (past the refs fingerprint's racy window)."""
    past = time.time() - 30
    for rel in REF_PLACES:
        p = repo / ".git" / rel
        if p.exists():
            os.utime(p, (past, past))


def _project(root: Path, store: str | None = None) -> Path:
    """A project declaring one directory of 1,000 files, recorded by one run, at rest;
    one whole ``data status`` has run (it keeps the snapshot)."""
    config = "data: big\n" + (f"store: {store}\n" if store else "")
    repo = make_project(root, config=config, commit=False)
    write(repo / ".gitignore", "/big/\nmetrics.json\n")
    for i in range(1000):
        write(repo / "big" / f"d{i // 100}" / f"f{i:04d}.txt", f"{i:04d}\n")
    age(repo / "big")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    record_run(repo)
    time.sleep(1.02 - time.time() % 1)  # the private index is kept for an earlier second
    _rest(repo)
    proc = cli(repo, "data", "status")  # walks, keeps the private index
    assert proc.returncode == 0, proc.stderr
    proc = cli(repo, "data", "status")  # git's stat pass: keeps the snapshot
    assert proc.returncode == 0, proc.stderr
    return repo


def _mark(repo: Path) -> None:
    """Put a tell in the kept rows: shown only when the answer comes from the snapshot."""
    path = repo / SNAPSHOT
    kept = marshal.loads(path.read_bytes())
    for row in kept["rows"]:
        row["state"] = "FROM-SNAPSHOT"
    path.write_bytes(marshal.dumps(kept))


def _status(repo: Path, *args: str) -> str:
    proc = cli(repo, "data", "status", *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("quick") / "p")


def test_same_output_as_the_whole_path(project: Path) -> None:
    assert (project / SNAPSHOT).is_file()
    quick_table, quick_json = _status(project), _status(project, "--json")
    (project / SNAPSHOT).unlink()
    whole_table, whole_json = _status(project), _status(project, "--json")
    assert (project / SNAPSHOT).is_file()  # kept again
    assert quick_table == whole_table and quick_json == whole_json
    (row,) = json.loads(quick_json)
    assert row["state"] == "unchanged" and row["cached"] is True and row["files"] == 1000
    assert quick_table.splitlines()[0].split() == [
        "path",
        "state",
        "hash",
        "last",
        "run",
        "cached",
        "pushed",
    ]


def test_answers_from_the_snapshot_while_nothing_changed(project: Path) -> None:
    _mark(project)
    assert "FROM-SNAPSHOT" in _status(project)
    assert "FROM-SNAPSHOT" in _status(project, "--json")
    # from another directory, with -C, as from a subfolder
    proc = cli(project.parent, "-C", str(project), "data", "status")
    assert proc.returncode == 0 and "FROM-SNAPSHOT" in proc.stdout
    assert "FROM-SNAPSHOT" in _status(project / "big" / "d1")
    (project / SNAPSHOT).unlink()
    _status(project)


def test_help_and_bad_arguments_take_the_parser(project: Path) -> None:
    _mark(project)
    proc = cli(project, "data", "status", "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: gitops-ml data status")
    proc = cli(project, "data", "status", "--bogus")
    assert proc.returncode == 2 and "unrecognized arguments: --bogus" in proc.stderr
    proc = cli(project, "data", "status", "--json", "--json")
    assert proc.returncode == 0 and "FROM-SNAPSHOT" not in proc.stdout
    proc = cli(project, "-C", str(project / "nowhere"), "data", "status")
    assert proc.returncode == 2 and "-C " in proc.stderr and proc.stdout == ""
    (project / SNAPSHOT).unlink()
    _status(project)


def _same_size_edit(repo: Path) -> str:
    target = repo / "big" / "d5" / "f0500.txt"
    st = target.stat()
    target.write_text("XXXX\n")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    return "changed"


def _new_file(repo: Path) -> str:
    write(repo / "big" / "d5" / "new.txt", "new\n")
    return "changed"


def _deleted_file(repo: Path) -> str:
    (repo / "big" / "d5" / "f0500.txt").unlink()
    return "changed"


def _config(repo: Path) -> str:
    (repo / "gitops-ml.yaml").write_text("data: big\n\n")
    return "unchanged"


def _new_run(repo: Path) -> str:
    record_run(repo)
    _rest(repo)
    return "unchanged"


def _cache_marks_gone(repo: Path) -> str:
    for mark in (repo / ".git/gitops-ml/complete").iterdir():
        mark.unlink()
    return "unchanged"


def _private_index_gone(repo: Path) -> str:
    for idx in (repo / ".git/gitops-ml/statindex").glob("*.idx"):
        idx.unlink()
    return "unchanged"


def _corrupt(repo: Path) -> str:
    (repo / SNAPSHOT).write_bytes(b"\x00not marshal")
    return "unchanged"


@pytest.mark.parametrize(
    "change",
    [
        _same_size_edit,
        _new_file,
        _deleted_file,
        _config,
        _new_run,
        _cache_marks_gone,
        _private_index_gone,
        _corrupt,
    ],
)
def test_any_change_takes_the_whole_path(tmp_path: Path, change: Callable[[Path], str]) -> None:
    repo = _project(tmp_path / "p")
    _mark(repo)
    assert "FROM-SNAPSHOT" in _status(repo)
    expect = change(repo)
    out = _status(repo, "--json")
    assert "FROM-SNAPSHOT" not in out
    (row,) = json.loads(out)
    assert row["state"] == expect
    if expect == "changed":
        assert not (repo / SNAPSHOT).exists()  # a changed row is never kept


def test_a_linked_worktree_finds_the_snapshot_where_git_says(tmp_path: Path) -> None:
    """No ``.git`` folder above a linked worktree: the snapshot is found through
    rev-parse (the repository's common folder), and still only for that work tree."""
    repo = _project(tmp_path / "p")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt))
    for src in sorted((repo / "big").rglob("*.txt")):
        write(wt / src.relative_to(repo), src.read_text())
    age(wt / "big")
    time.sleep(1.02 - time.time() % 1)
    for _ in range(2):
        _status(wt)  # walks and keeps its private index, then keeps the snapshot
    _mark(repo)  # the common folder's snapshot: the worktree's rows now
    assert "FROM-SNAPSHOT" in _status(wt)
    assert "FROM-SNAPSHOT" not in _status(repo)  # another work tree: the whole path


def test_not_kept_with_a_store(tmp_path: Path) -> None:
    repo = _project(tmp_path / "p", store=str(tmp_path / "store"))
    assert not (repo / SNAPSHOT).exists()
    (row,) = json.loads(_status(repo, "--json"))
    assert row["state"] == "unchanged" and "pushed" in row


def test_outside_a_repository_the_usual_error(tmp_path: Path) -> None:
    proc = cli(tmp_path, "data", "status")
    assert proc.returncode == 2
    assert "not a git repository" in proc.stderr and proc.stdout == ""
