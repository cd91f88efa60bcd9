"""``gitops-ml data status``: declared data vs. the last run, with a stat cache."""

from __future__ import annotations

import json
import marshal
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli, write
from tests.data_helpers import (
    DATA,
    age,
    data_config,
    make_data_project,
    record_run,
    status_rows,
)


def test_changed_after_an_edit_unchanged_after_revert(tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo = make_data_project(tmp_path / "p", str(store))
    run = record_run(repo)
    rows = status_rows(repo)
    assert {p: r["state"] for p, r in rows.items()} == {
        "one file.csv": "unchanged",
        "images": "unchanged",
    }
    assert rows["images"]["recorded"]["run"] == run
    assert rows["images"]["cached"] is True and rows["images"]["pushed"] is False

    write(repo / "images" / "nested" / "deep" / "ünïcødé name.txt", "changed!\n")
    write(repo / "images" / "new.txt", "new\n")
    write(repo / "one file.csv", "a,b\n9,9\n")
    rows = status_rows(repo)
    assert rows["images"]["state"] == "changed" and rows["one file.csv"]["state"] == "changed"
    assert rows["images"]["changes"] == {
        "added": ["new.txt"],
        "removed": [],
        "modified": ["nested/deep/ünïcødé name.txt"],
    }
    text = cli(repo, "data", "status")
    assert text.returncode == 0
    assert "changed" in text.stdout and "images/new.txt: added" in text.stdout

    write(
        repo / "images" / "nested" / "deep" / "ünïcødé name.txt",
        DATA["images/nested/deep/ünïcødé name.txt"],
    )
    (repo / "images" / "new.txt").unlink()
    write(repo / "one file.csv", DATA["one file.csv"])
    assert {r["state"] for r in status_rows(repo).values()} == {"unchanged"}

    assert cli(repo, "data", "push").returncode == 0
    assert all(r["pushed"] is True for r in status_rows(repo).values())


def test_new_and_missing_data(tmp_path: Path) -> None:
    repo = make_data_project(tmp_path / "p", None)
    rows = status_rows(repo)
    assert {r["state"] for r in rows.values()} == {"new"}
    assert rows["images"]["recorded"] is None
    record_run(repo)
    (repo / "one file.csv").unlink()
    rows = status_rows(repo)
    assert rows["one file.csv"]["state"] == "missing" and rows["images"]["state"] == "unchanged"
    write(
        repo / "gitops-ml.yaml",
        data_config(None).replace("data:\n  - one file.csv\n  - images\n", ""),
    )
    proc = cli(repo, "data", "status")
    assert proc.returncode == 0 and "no data declared" in proc.stdout


def test_second_status_reads_nothing_again(tmp_path: Path) -> None:
    repo = make_data_project(tmp_path / "p", None)
    age(repo / "images")
    age(repo, 60)
    before = status_rows(repo)["images"]["hash"]
    cache = marshal.loads((repo / ".git" / "gitops-ml" / "hashcache.bin").read_bytes())
    assert len(cache) == len(DATA)  # every data file's hash is kept by stat

    # an in-place rewrite that puts the old mtime back is still noticed (ctime changed)
    target = repo / "images" / "dog.txt"
    st = target.stat()
    target.write_text("wolf\n")  # same size as "woof\n"
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert status_rows(repo)["images"]["hash"] != before
    cache2 = marshal.loads((repo / ".git" / "gitops-ml" / "hashcache.bin").read_bytes())
    assert cache2[str(target)][3] != cache[str(target)][3]


def test_stat_cache_spares_the_second_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In process: 2,000 small files and one 4 MiB file, hashed twice; the second pass
    reads no file (the speed of both passes is measured in bench/cases_hash.py)."""
    from gitops_ml.core import hashing

    root = tmp_path / "d"
    for i in range(2000):
        write(root / "small" / f"{i // 100}" / f"{i}.txt", f"row {i}\n" * 20)
    (root / "large.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    age(root)
    cache_file = tmp_path / "hashcache.bin"
    real = hashing.hash_file
    read: list[str] = []

    def counting(full: str | os.PathLike[str], *args: Any, **kwargs: Any) -> str:
        read.append(os.fspath(full))
        return real(full, *args, **kwargs)

    monkeypatch.setattr(hashing, "hash_file", counting)
    passes = []
    for _ in range(2):
        read.clear()
        cache = hashing.HashCache(cache_file)
        small = hashing.hash_path(root, "small", cache)
        large = hashing.hash_path(root, "large.bin", cache)
        cache.save()
        passes.append((len(read), small.hash, large.hash))
    (n1, s1, l1), (n2, s2, l2) = passes
    assert (s1, l1) == (s2, l2)
    assert n1 == 2001
    assert n2 == 0


def test_big_directory_answered_by_git_stat_pass(tmp_path: Path) -> None:
    """1,000+ files: once recorded, an unchanged directory is answered by one git
    diff-files over a private index (no Python walk), and an edit that keeps the size and
    puts the mtime back is still reported, file by file."""
    repo = make_data_project(tmp_path / "p", None)
    for i in range(1000):
        write(repo / "images" / "bulk" / f"f{i:04d}.txt", f"{i:04d}\n")
    age(repo / "images")
    run = record_run(repo)
    time.sleep(1.02 - time.time() % 1)  # the index is kept for files of an earlier second
    assert status_rows(repo)["images"]["state"] == "unchanged"  # walks, keeps the index
    trace = tmp_path / "trace2.json"
    proc = cli(repo, "data", "status", "--json", env={"GIT_TRACE2_EVENT": str(trace)})
    rows = {r["path"]: r for r in json.loads(proc.stdout)}
    assert rows["images"]["state"] == "unchanged" and rows["images"]["recorded"]["run"] == run
    ran = [json.loads(line).get("argv", [])[1:] for line in trace.read_text().splitlines()]
    assert any("diff-files" in argv for argv in ran)

    target = repo / "images" / "bulk" / "f0500.txt"
    st = target.stat()
    target.write_text("XXXX\n")  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    rows = status_rows(repo)
    assert rows["images"]["state"] == "changed"
    assert rows["images"]["changes"]["modified"] == ["bulk/f0500.txt"]
