"""gitops_ml.data.restore: restore_entries, used by pull and reproduce."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import config, gitstore
from gitops_ml.data import objects, restore
from gitops_ml.runs import index
from tests.conftest import cli
from tests.data_helpers import DATA, blake3_hex, make_data_project, record_run, tree_bytes


def _setup(tmp_path: Path, store: str | None) -> tuple[gitstore.Repo, config.Config, list[dict]]:
    root = make_data_project(tmp_path / "p", store)
    run = record_run(root)
    repo = gitstore.open_repo(root)
    rec = index.full_record(repo, run)
    return repo, config.load(repo.top), rec["data"] + rec["outputs"]


def test_restore_entries_into_an_empty_directory(tmp_path: Path) -> None:
    repo, cfg, entries = _setup(tmp_path, None)
    dest = tmp_path / "worktree"
    written = restore.restore_entries(repo, cfg, entries, dest, progress=False)
    assert len(written) == len(DATA) + 1  # the data files and model.bin
    assert tree_bytes(dest, ["one file.csv", "images"]) == tree_bytes(
        repo.top, ["one file.csv", "images"]
    )
    assert restore.restore_entries(repo, cfg, entries, dest) == []  # nothing to do again


def test_restore_from_the_remote_only(tmp_path: Path) -> None:
    import shutil

    repo, cfg, entries = _setup(tmp_path, str(tmp_path / "store"))
    assert cli(repo.top, "data", "push").returncode == 0
    shutil.rmtree(repo.state_dir / "cache")
    dest = tmp_path / "elsewhere"
    restore.restore_entries(repo, cfg, entries, dest)
    assert (dest / "images" / "dog.txt").read_text() == DATA["images/dog.txt"]
    assert (repo.state_dir / "cache").is_dir()  # downloaded objects are cached locally


def test_missing_objects_error_lists_hashes_and_places(tmp_path: Path) -> None:
    import shutil

    repo, cfg, entries = _setup(tmp_path, str(tmp_path / "store"))
    shutil.rmtree(repo.state_dir / "cache")
    with pytest.raises(objects.MissingObjects) as info:
        restore.restore_entries(repo, cfg, entries, tmp_path / "d")
    err = info.value
    assert err.code == 3
    assert blake3_hex(DATA["one file.csv"].encode()) in err.missing
    assert err.places == [
        f"the local cache {repo.state_dir / 'cache'}",
        f"the store {tmp_path / 'store'}",
    ]
    assert not (tmp_path / "d").exists()


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
