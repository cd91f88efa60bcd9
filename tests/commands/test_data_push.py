"""``gitops-ml data push``: upload cached objects to the store, verified, only what is missing."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import cli, write
from tests.data_helpers import (
    DATA,
    blake3_hex,
    corrupt,
    data_config,
    make_data_project,
    object_path,
    record_run,
    s3_server,
)


def _objects(store: Path) -> set[str]:
    return {p.parent.name + p.name for p in store.glob("*/*") if p.is_file()}


def test_push_uploads_everything_once_with_the_store_layout(tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo = make_data_project(tmp_path / "p", str(store))
    record_run(repo)
    first = cli(repo, "data", "push")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("pushed 7 object(s)")
    cache = repo / ".git" / "gitops-ml" / "cache"
    assert _objects(store) == {p.parent.name + p.name for p in cache.glob("*/*")}
    assert not [p for p in store.rglob(".*")]  # no temp files left behind
    for text in DATA.values():
        assert object_path(store, blake3_hex(text.encode())).read_text() == text
    second = cli(repo, "data", "push")
    assert second.returncode == 0 and "everything is already in" in second.stdout
    assert cache.is_dir()  # the local cache is never removed by a push


def test_push_of_given_runs_only_sends_their_objects(tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo = make_data_project(tmp_path / "p", str(store))
    first = record_run(repo)
    write(repo / "images" / "dog.txt", "a new dog\n")
    record_run(repo)
    proc = cli(repo, "data", "push", first[:12])
    assert proc.returncode == 0, proc.stderr
    pushed = _objects(store)
    assert blake3_hex(DATA["images/dog.txt"].encode()) in pushed
    assert blake3_hex(b"a new dog\n") not in pushed
    proc = cli(repo, "data", "push")
    assert blake3_hex(b"a new dog\n") in _objects(store)


def test_push_without_store_or_with_a_broken_one_is_one_line(tmp_path: Path) -> None:
    repo = make_data_project(tmp_path / "p", None)
    record_run(repo)
    proc = cli(repo, "data", "push")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "store" in proc.stderr

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    write(repo / "gitops-ml.yaml", data_config(str(blocker / "store")))
    proc = cli(repo, "data", "push")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "unreachable" in proc.stderr


def test_push_to_an_s3_endpoint_that_is_down_exits_3(tmp_path: Path) -> None:
    from tests.git_daemon import free_port

    repo = make_data_project(tmp_path / "p", "s3://bucket/prefix")
    record_run(repo)
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    started = time.monotonic()
    proc = cli(repo, "data", "push", env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "s3://bucket/prefix is unreachable" in proc.stderr
    assert time.monotonic() - started < 60


def test_push_to_s3_and_progress_bar(tmp_path: Path) -> None:
    with s3_server() as env:
        from tests.data_helpers import make_bucket

        client = make_bucket(env, "data")
        repo = make_data_project(tmp_path / "p", "s3://data/runs")
        write(repo / "images" / "big.bin", "x" * 300_000)
        record_run(repo, env)
        proc = cli(repo, "data", "push", env={**env, "GITOPS_ML_PROGRESS": "always"})
        assert proc.returncode == 0, proc.stderr
        assert "push 8 object(s)" in proc.stderr  # the bar's label, rendered by rich
        assert "300.7/300.7 kB" in proc.stderr
        listed = client.list_objects_v2(Bucket="data", Prefix="runs/")["Contents"]
        assert len(listed) == 8
        quiet = cli(repo, "data", "push", env=env)
        assert quiet.returncode == 0 and quiet.stderr == ""
        assert "everything is already in s3://data/runs" in quiet.stdout


def test_a_corrupt_local_object_is_not_pushed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo = make_data_project(tmp_path / "p", str(store))
    record_run(repo)
    digest = blake3_hex(DATA["images/cat.txt"].encode())
    corrupt(object_path(repo / ".git" / "gitops-ml" / "cache", digest))
    proc = cli(repo, "data", "push")
    assert proc.returncode == 3
    assert digest in proc.stderr and "corrupt" in proc.stderr and "not pushed" in proc.stderr
    pushed = _objects(store)
    assert digest not in pushed
    # the directory's manifest stays back too: its presence promises all of its files
    assert len(pushed) == 5
