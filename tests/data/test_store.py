"""gitops_ml.data.store: the remote store and restore_entries, used by pull and reproduce."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.data import store
from gitops_ml.runs import index
from tests.conftest import cli
from tests.data_helpers import DATA, blake3_hex, make_data_project, record_run, tree_bytes


def _setup(tmp_path: Path, store: str | None) -> tuple[gitstore.Repo, config.Config, list[dict]]:
    root = make_data_project(tmp_path / "p", store)
    run = record_run(root)
    repo = gitstore.open_repo(root)
    rec = index.full_record(repo, run)
    return repo, config.load(repo.top), rec["data"] + rec["outputs"]


def test_remote_store_from_config(tmp_path: Path) -> None:
    cfg = config.Config(store="../store", path=tmp_path / "repo" / "gitops-ml.yaml")
    remote = store.remote_store(cfg)
    assert remote is not None and remote.url == str(tmp_path / "store")
    assert not remote.atomic_put
    assert store.remote_store(config.Config()) is None
    s3 = store.open_remote("s3://bucket/some/prefix", tmp_path)
    assert s3.atomic_put and s3.root == "bucket/some/prefix"
    assert s3.where("ab" + "c" * 62) == "s3://bucket/some/prefix/ab/" + "c" * 62
    with pytest.raises(GitopsError) as info:
        store.open_remote("nosuchproto://x", tmp_path)
    assert info.value.code == 2


def test_restore_entries_into_an_empty_directory(tmp_path: Path) -> None:
    repo, cfg, entries = _setup(tmp_path, None)
    dest = tmp_path / "worktree"
    written = store.restore_entries(repo, cfg, entries, dest, progress=False)
    assert len(written) == len(DATA) + 1  # the data files and model.bin
    assert tree_bytes(dest, ["one file.csv", "images"]) == tree_bytes(
        repo.top, ["one file.csv", "images"]
    )
    assert store.restore_entries(repo, cfg, entries, dest) == []  # nothing to do again


def test_restore_from_the_remote_only(tmp_path: Path) -> None:
    import shutil

    repo, cfg, entries = _setup(tmp_path, str(tmp_path / "store"))
    assert cli(repo.top, "data", "push").returncode == 0
    shutil.rmtree(repo.state_dir / "cache")
    dest = tmp_path / "elsewhere"
    store.restore_entries(repo, cfg, entries, dest)
    assert (dest / "images" / "dog.txt").read_text() == DATA["images/dog.txt"]
    assert (repo.state_dir / "cache").is_dir()  # downloaded objects are cached locally


def test_missing_objects_error_lists_hashes_and_places(tmp_path: Path) -> None:
    import shutil

    repo, cfg, entries = _setup(tmp_path, str(tmp_path / "store"))
    shutil.rmtree(repo.state_dir / "cache")
    with pytest.raises(store.MissingObjects) as info:
        store.restore_entries(repo, cfg, entries, tmp_path / "d")
    err = info.value
    assert err.code == 3
    assert blake3_hex(DATA["one file.csv"].encode()) in err.missing
    assert err.places == [
        f"the local cache {repo.state_dir / 'cache'}",
        f"the store {tmp_path / 'store'}",
    ]
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    "rel", ["../x", "/abs/x", "a/../../x", "a//b", ".git/config", "a/.GIT/x", "./a", "a\nb", ""]
)
def test_check_rel_refuses_escapes(rel: str) -> None:
    with pytest.raises(GitopsError) as info:
        store.check_rel(rel, "test")
    assert info.value.code == 2


def test_check_rel_accepts_ordinary_names() -> None:
    assert store.check_rel("images/nested/ünï name.txt", "t") == [
        "images",
        "nested",
        "ünï name.txt",
    ]


def test_existing_uses_one_listing_for_many_objects(tmp_path: Path) -> None:
    remote = store.open_remote(f"memory://gitops-ml-test-{tmp_path.name}", tmp_path)
    src = tmp_path / "obj"
    digests = []
    for i in range(80):
        src.write_bytes(f"object {i}".encode())
        digest = blake3_hex(src.read_bytes())
        remote.upload(src, digest)
        digests.append(digest)
    absent = "f" * 64
    assert remote.existing([*digests, absent]) == set(digests)  # > threshold: listing
    assert remote.existing([digests[0], absent]) == {digests[0]}  # few: one probe each
    assert remote.listing() == set(digests)


def test_progress_transfer_forced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitops_ml.ui.progress import Transfer, wanted

    monkeypatch.setenv("GITOPS_ML_PROGRESS", "never")
    assert not wanted(10**12)
    monkeypatch.setenv("GITOPS_ML_PROGRESS", "always")
    with Transfer("copy", 2048) as bar:
        bar.advance(1024)
        bar.advance(1024)
    assert "copy" in capsys.readouterr().err
