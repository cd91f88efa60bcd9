"""gitops_ml.data.push: what a push sends, files before manifests, declared data cached."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.core.config import load
from gitops_ml.data import push
from gitops_ml.data.cache import LocalStore
from gitops_ml.data.objects import Objects
from gitops_ml.data.remote import open_remote
from tests.conftest import write
from tests.data_helpers import DATA, blake3_hex, make_data_project


def test_declared_data_is_cached_then_pushed_files_first(tmp_path: Path) -> None:
    root = make_data_project(tmp_path / "p", "../store")  # no run recorded yet
    repo = gitstore.open_repo(root)
    cfg = load(root)
    manifests = push.cache_declared(root, repo.state_dir, cfg.data)
    assert len(manifests) == 1  # the images directory
    local = LocalStore(repo.state_dir)
    wanted = {d: "cached" for d in push.local_objects(local)}
    assert {blake3_hex(t.encode()) for t in DATA.values()} <= set(wanted)
    remote = open_remote("../store", root)
    result = push.push(Objects(repo, local, remote, progress=False), wanted, manifests)
    assert (result.pushed, result.present) == (len(wanted), 0)
    assert remote.listing() == set(wanted)
    again = push.push(Objects(repo, local, remote, progress=False), wanted, manifests)
    assert (again.pushed, again.present) == (0, len(wanted))


def test_recorded_entries_are_data_outputs_and_artifacts_with_a_hash() -> None:
    rec = {
        "data": [{"path": "d", "hash": "a" * 64}, {"path": "gone"}],
        "outputs": [{"path": "m", "hash": "b" * 64}],
        "artifacts": [{"path": "x", "hash": "c" * 64}],
    }
    assert [e["path"] for e in push.recorded_entries(rec)] == ["d", "m", "x"]


def test_local_objects_skips_temp_files_and_marks(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "state")
    digest = local.put_bytes(b"x")
    write(local.root / digest[:2] / f".{digest[2:]}.123.tmp", "half")
    local.mark_complete(digest)
    assert push.local_objects(local) == [digest]
