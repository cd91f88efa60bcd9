"""Hostile or odd things in declared data (issue 10 items 9, 11, 13, 14; issue 9 item 22),
through the real CLI on real repositories."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, git, make_project, run_ids, write
from tests.data_helpers import DATA, fresh_clone, make_data_project, record_run

CONFIG = "params: params.json\ndata: data\nstore: ../store\n"


def _project(tmp_path: Path) -> Path:
    repo = make_project(tmp_path / "p", config=CONFIG)
    write(repo / "data" / "ok.csv", "1,2\n")
    return repo


def _cache_bytes(repo: Path) -> bytes:
    cache = repo / ".git" / "gitops-ml" / "cache"
    return b"".join(p.read_bytes() for p in sorted(cache.rglob("*")) if p.is_file())  # none: b""


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    write(secret, "-----BEGIN OPENSSH PRIVATE KEY----- s3cr3t\n")
    repo = _project(tmp_path)
    os.symlink(secret, repo / "data" / "x.csv")
    for args in (("run", "--", "true"), ("data", "status"), ("data", "push")):
        proc = cli(repo, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "data/x.csv: is a symlink to" in proc.stderr
        assert "outside the repository" in proc.stderr
    assert run_ids(repo) == []
    assert b"s3cr3t" not in _cache_bytes(repo)
    store = tmp_path / "store"
    assert b"s3cr3t" not in b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())


def test_symlink_inside_the_repository_is_followed_and_symlinked_dir_refused(
    tmp_path: Path,
) -> None:
    repo = _project(tmp_path)
    write(repo / "shared" / "labels.csv", "cat,dog\n")
    os.symlink("../shared/labels.csv", repo / "data" / "labels.csv")
    assert cli(repo, "run", "--", "true").returncode == 0
    assert b"cat,dog" in _cache_bytes(repo)
    os.symlink("../shared", repo / "data" / "more")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2 and "data/more: is a symlink to the directory" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert len(run_ids(repo)) == 1


@pytest.mark.parametrize("where", ["declared", "inside"])
def test_fifo_and_devices_are_refused(tmp_path: Path, where: str) -> None:
    repo = _project(tmp_path)
    if where == "declared":
        shutil.rmtree(repo / "data")
        os.mkfifo(repo / "data")
        shown = "data: is a FIFO"
    else:
        os.mkfifo(repo / "data" / "pipe")
        shown = "data/pipe: is a FIFO"
    proc = cli(repo, "run", "--", "true", timeout=60)
    assert proc.returncode == 2 and shown in proc.stderr and proc.stderr.count("\n") == 1
    assert run_ids(repo) == []
    (repo / "data").unlink() if where == "declared" else (repo / "data" / "pipe").unlink()
    if where == "declared":
        os.symlink("/dev/zero", repo / "data")
        proc = cli(repo, "run", "--", "true", timeout=60)
        assert proc.returncode == 2 and "data: is a device" in proc.stderr
    else:
        os.symlink("/dev/zero", repo / "data" / "zero")
        proc = cli(repo, "run", "--", "true", timeout=60)
        assert proc.returncode == 2 and "data/zero: is a symlink" in proc.stderr
    assert run_ids(repo) == []


def test_umask_077_keeps_cache_and_pulled_files_private(tmp_path: Path) -> None:
    origin = make_data_project(tmp_path / "origin", "../store")
    record = subprocess.run(
        ["sh", "-c", f"umask 077 && exec gitops-ml run -- {sys.executable} train.py"],
        cwd=origin,
        capture_output=True,
        text=True,
    )
    assert record.returncode == 0, record.stderr
    cache = origin / ".git" / "gitops-ml" / "cache"
    modes = {stat.S_IMODE(p.stat().st_mode) for p in cache.rglob("*") if p.is_file()}
    assert modes and all(m & 0o077 == 0 for m in modes), sorted(map(oct, modes))
    assert cli(origin, "data", "push").returncode == 0
    clone = fresh_clone(origin, tmp_path / "clone")
    pull = subprocess.run(
        ["sh", "-c", "umask 077 && exec gitops-ml data pull"],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert pull.returncode == 0, pull.stderr
    pulled = [clone / rel for rel in DATA]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in pulled)
    # a file that existed keeps its own mode when a pull rewrites it
    target = clone / "images" / "dog.txt"
    os.chmod(target, 0o640)
    target.write_text("changed\n")
    assert cli(clone, "data", "pull").returncode == 0
    assert target.read_text() == DATA["images/dog.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


ODD = [
    "form\ffeed.csv",
    "nel\u0085.csv",
    "ls\u2028.csv",
    "gs\x1d.csv",
    "line\nbreak.csv",
    "back\\slash.csv",
]


def test_odd_file_names_round_trip_through_run_push_and_pull(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    names = [*ODD, os.fsdecode(b"latin1-\xe9.csv")]
    for i, name in enumerate(names):
        (repo / "data" / name).write_bytes(f"row {i}\n".encode())
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 0, proc.stderr
    assert cli(repo, "data", "push").returncode == 0
    clone = fresh_clone(repo, tmp_path / "clone")
    pull = cli(clone, "data", "pull")
    assert pull.returncode == 0, pull.stderr
    got = {p.name: p.read_bytes() for p in (clone / "data").iterdir()}
    assert got == {p.name: p.read_bytes() for p in (repo / "data").iterdir()}
    status = cli(clone, "data", "status")
    assert status.returncode == 0 and "unchanged" in status.stdout


def test_pull_leaves_no_empty_directories(tmp_path: Path) -> None:
    repo = make_data_project(tmp_path / "p", None)
    run = record_run(repo)
    write(repo / "images" / "extra" / "deeper" / "new.txt", "new\n")
    assert cli(repo, "data", "pull", run).returncode == 0
    assert not (repo / "images" / "extra").exists()
    assert (repo / "images" / "nested" / "deep").is_dir()


def test_data_inside_git_dir_is_never_copied(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.json\ndata: .git\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2 and "must not be inside .git" in proc.stderr
    assert not (repo / ".git" / "gitops-ml" / "cache").exists()
    git(repo, "status")
