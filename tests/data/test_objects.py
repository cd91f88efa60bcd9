"""gitops_ml.data.objects: verified objects from the cache or the remote; record entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.data.cache import LocalStore
from gitops_ml.data.objects import (
    CorruptData,
    MissingObjects,
    Objects,
    entry_fields,
    entry_objects,
    manifest_rows,
)
from gitops_ml.data.remote import open_remote
from tests.conftest import cli
from tests.data_helpers import DATA, blake3_hex, corrupt, make_data_project, record_run


def _objects(tmp_path: Path) -> tuple[Objects, list[dict[str, object]]]:
    root = make_data_project(tmp_path / "p", "../store")
    run = record_run(root)
    assert cli(root, "data", "push").returncode == 0
    repo = gitstore.open_repo(root)
    from gitops_ml.runs import index

    rec = index.full_record(repo, run)
    remote = open_remote("../store", root)
    return Objects(repo, LocalStore(repo.state_dir), remote, progress=False), rec["data"]


def test_entry_objects_lists_a_directory_through_its_manifest(tmp_path: Path) -> None:
    objects, entries = _objects(tmp_path)
    wanted, manifests = entry_objects(objects, entries)
    assert len(manifests) == 1
    for rel, text in DATA.items():
        assert blake3_hex(text.encode()) in wanted, rel
    shutil.rmtree(objects.local.root)
    objects.ensure(wanted)  # everything comes back from the store, verified
    assert objects.local.has_all(list(wanted))


def test_a_corrupt_store_object_is_never_cached(tmp_path: Path) -> None:
    objects, _ = _objects(tmp_path)
    digest = blake3_hex(DATA["images/dog.txt"].encode())
    shutil.rmtree(objects.local.root)
    corrupt(tmp_path / "store" / digest[:2] / digest[2:])
    with pytest.raises(CorruptData) as info:
        objects.ensure({digest: "images/dog.txt"})
    assert info.value.code == 3 and not objects.local.has(digest)
    with pytest.raises(MissingObjects) as missing:
        objects.ensure({"f" * 64: "nowhere"})
    assert missing.value.code == 3 and "f" * 64 in str(missing.value)


def test_record_entries_and_manifest_rows_are_checked() -> None:
    assert entry_fields({"path": "data", "hash": "a" * 64, "kind": "dir"}) == (
        "data",
        "a" * 64,
        "dir",
    )
    for bad in (
        {"path": "../x", "hash": "a" * 64},
        {"path": "x", "hash": "A" * 64},
        {"path": "x", "hash": "a" * 64, "kind": "link"},
    ):
        with pytest.raises(GitopsError):
            entry_fields(bad)
    with pytest.raises(GitopsError, match="not a hash"):
        manifest_rows(b"zz 1 a\n", "data")
    with pytest.raises(GitopsError, match="refusing path"):
        manifest_rows(("a" * 64 + " 1 ../../etc/passwd\n").encode(), "data")
