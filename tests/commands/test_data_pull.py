"""``gitops-ml data pull``: a fresh clone gets the data back, byte for byte, verified."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, git
from tests.data_helpers import (
    DATA,
    blake3_hex,
    corrupt,
    fresh_clone,
    make_bucket,
    make_data_project,
    object_path,
    record_run,
    s3_server,
    tree_bytes,
    write_hostile_run,
)

PATHS = ["one file.csv", "images"]


def test_push_then_pull_in_a_fresh_clone_is_byte_identical(tmp_path: Path) -> None:
    store = tmp_path / "store"
    origin = make_data_project(tmp_path / "origin", str(store))
    run = record_run(origin)
    expected = tree_bytes(origin, PATHS)
    assert len(expected) == len(DATA)
    push = cli(origin, "data", "push")
    assert push.returncode == 0, push.stderr
    assert "pushed 6 object(s)" in push.stdout or "pushed" in push.stdout

    clone = fresh_clone(origin, tmp_path / "clone")
    assert not (clone / "images").exists()
    pull = cli(clone, "data", "pull", run[:10])
    assert pull.returncode == 0, pull.stderr
    assert tree_bytes(clone, PATHS) == expected
    assert not (clone / "model.bin").exists()  # outputs only with --outputs
    again = cli(clone, "data", "pull", run[:10])
    assert again.returncode == 0 and "already as run" in again.stdout

    outs = cli(clone, "data", "pull", run, "--outputs")
    assert outs.returncode == 0, outs.stderr
    assert (clone / "model.bin").read_bytes() == (origin / "model.bin").read_bytes()
    # nothing outside the declared paths changed; git sees no tracked change
    assert git(clone, "status", "--porcelain", "--untracked-files=no") == ""


def test_pull_overwrites_local_changes_keeps_them_cached_and_prunes(tmp_path: Path) -> None:
    origin = make_data_project(tmp_path / "origin", None)
    run = record_run(origin)
    expected = tree_bytes(origin, PATHS)
    (origin / "images" / "dog.txt").write_text("changed\n")
    (origin / "images" / "extra.txt").write_text("not in the run\n")
    pull = cli(origin, "data", "pull")  # default: the latest run with data
    assert pull.returncode == 0, pull.stderr
    assert "local changes overwritten" in pull.stderr
    assert tree_bytes(origin, PATHS) == expected
    # the overwritten bytes are still in the local cache
    cache = origin / ".git" / "gitops-ml" / "cache"
    assert object_path(cache, blake3_hex(b"changed\n")).exists()
    assert object_path(cache, blake3_hex(b"not in the run\n")).exists()
    assert run in pull.stdout


def test_pull_from_s3_in_a_fresh_clone(tmp_path: Path) -> None:
    with s3_server() as env:
        client = make_bucket(env, "models")
        origin = make_data_project(tmp_path / "origin", "s3://models/team/data")
        run = record_run(origin, env)
        expected = tree_bytes(origin, PATHS)
        push = cli(origin, "data", "push", env=env)
        assert push.returncode == 0, push.stderr
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="models")["Contents"]]
        assert len(keys) == 7  # 5 data files + 1 manifest + model.bin
        assert all(k.startswith("team/data/") and len(k.split("/")[-1]) == 62 for k in keys)

        clone = fresh_clone(origin, tmp_path / "clone")
        pull = cli(clone, "data", "pull", run, "--outputs", env=env)
        assert pull.returncode == 0, pull.stderr
        assert tree_bytes(clone, PATHS) == expected
        assert (clone / "model.bin").read_bytes() == (origin / "model.bin").read_bytes()

        # corrupt one object in the bucket: a third clone must refuse it
        digest = blake3_hex(DATA["images/cat.txt"].encode())
        client.put_object(Bucket="models", Key=f"team/data/{digest[:2]}/{digest[2:]}", Body=b"x")
        third = fresh_clone(origin, tmp_path / "third")
        bad = cli(third, "data", "pull", run, env=env)
        assert bad.returncode == 3
        assert digest in bad.stderr and "corrupt" in bad.stderr and "s3://models" in bad.stderr
        assert not (third / "images").exists()
        assert not object_path(third / ".git" / "gitops-ml" / "cache", digest).exists()


def test_corrupt_object_in_the_remote_is_never_used(tmp_path: Path) -> None:
    store = tmp_path / "store"
    origin = make_data_project(tmp_path / "origin", str(store))
    run = record_run(origin)
    assert cli(origin, "data", "push").returncode == 0
    digest = blake3_hex(DATA["images/dog.txt"].encode())
    corrupt(object_path(store, digest))

    clone = fresh_clone(origin, tmp_path / "clone")
    (clone / "images").mkdir()
    (clone / "images" / "dog.txt").write_text("mine\n")
    proc = cli(clone, "data", "pull", run)
    assert proc.returncode == 3
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert digest in line and "corrupt" in line and str(store) in line
    assert (clone / "images" / "dog.txt").read_text() == "mine\n"  # not replaced
    assert not (clone / "images" / "cat.txt").exists()  # nothing half-restored
    assert not object_path(clone / ".git" / "gitops-ml" / "cache", digest).exists()


def test_corrupt_object_in_the_local_cache_is_never_used(tmp_path: Path) -> None:
    origin = make_data_project(tmp_path / "origin", None)
    record_run(origin)
    (origin / "one file.csv").write_text("edited\n")
    digest = blake3_hex(DATA["one file.csv"].encode())
    cache = origin / ".git" / "gitops-ml" / "cache"
    corrupt(object_path(cache, digest))
    proc = cli(origin, "data", "pull")
    assert proc.returncode == 3
    assert digest in proc.stderr and "corrupt" in proc.stderr and str(cache) in proc.stderr
    assert (origin / "one file.csv").read_text() == "edited\n"
    assert not object_path(cache, digest).exists()  # moved out of the cache
    assert list((origin / ".git" / "gitops-ml" / "corrupt").iterdir())


def test_corrupt_local_object_is_fetched_again_from_the_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    origin = make_data_project(tmp_path / "origin", str(store))
    record_run(origin)
    assert cli(origin, "data", "push").returncode == 0
    digest = blake3_hex(DATA["one file.csv"].encode())
    corrupt(object_path(origin / ".git" / "gitops-ml" / "cache", digest))
    (origin / "one file.csv").write_text("edited\n")
    proc = cli(origin, "data", "pull")
    assert proc.returncode == 0, proc.stderr
    assert "was corrupt" in proc.stderr and digest in proc.stderr
    assert (origin / "one file.csv").read_text() == DATA["one file.csv"]


def test_missing_objects_name_every_hash_and_place(tmp_path: Path) -> None:
    store = tmp_path / "store"
    origin = make_data_project(tmp_path / "origin", str(store))
    run = record_run(origin)  # never pushed
    clone = fresh_clone(origin, tmp_path / "clone")
    proc = cli(clone, "data", "pull", run)
    assert proc.returncode == 3
    assert "(manifest of images)" in proc.stderr
    assert proc.stderr.count("\n") == 1
    file_hash = blake3_hex(DATA["one file.csv"].encode())
    assert file_hash in proc.stderr and "one file.csv" in proc.stderr
    assert str(clone / ".git" / "gitops-ml" / "cache") in proc.stderr
    assert str(store) in proc.stderr


def test_hostile_manifest_paths_are_refused(tmp_path: Path) -> None:
    from gitops_ml.core import gitstore
    from gitops_ml.data.cache import LocalStore

    origin = make_data_project(tmp_path / "origin", None)
    local = LocalStore(gitstore.open_repo(origin).state_dir)
    payload = local.put_bytes(b"owned\n")
    outside = tmp_path / "outside" / "x"
    for rel in ("../escape", str(outside), "ok/../../escape", ".git/hooks/pre-commit"):
        manifest = local.put_bytes(f"{payload} 6 {rel}\n".encode())
        run = write_hostile_run(origin, [{"path": "images", "hash": manifest, "kind": "dir"}])
        proc = cli(origin, "data", "pull", run)
        assert proc.returncode == 2, (rel, proc.stderr)
        assert "refusing path" in proc.stderr, proc.stderr
    assert not (origin / "escape").exists() and not (tmp_path / "escape").exists()
    assert not outside.exists()
    assert not (origin / ".git" / "hooks" / "pre-commit").exists()
    assert (origin / "images" / "cat.txt").read_text() == DATA["images/cat.txt"]


def test_hostile_entry_paths_and_symlinks_are_refused(tmp_path: Path) -> None:
    from gitops_ml.core import gitstore
    from gitops_ml.data.cache import LocalStore

    origin = make_data_project(tmp_path / "origin", None)
    local = LocalStore(gitstore.open_repo(origin).state_dir)
    payload = local.put_bytes(b"owned\n")
    for path in ("../escape.txt", "/tmp/escape.txt", ".git/config"):
        run = write_hostile_run(origin, [{"path": path, "hash": payload, "kind": "file"}])
        proc = cli(origin, "data", "pull", run)
        assert proc.returncode == 2, (path, proc.stderr)
        assert "refusing path" in proc.stderr
    assert not (tmp_path / "escape.txt").exists()

    # a declared directory that is a symlink to elsewhere is not written through
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    record_run(origin)
    import shutil

    shutil.rmtree(origin / "images")
    (origin / "images").symlink_to(elsewhere, target_is_directory=True)
    proc = cli(origin, "data", "pull")
    assert proc.returncode == 2 and "symlink" in proc.stderr, proc.stderr
    assert list(elsewhere.iterdir()) == []
