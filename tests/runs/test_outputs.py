"""Metrics files and outputs a command wrote (and those it left from before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.hashing import HashCache
from gitops_ml.data.cache import LocalStore
from gitops_ml.runs import outputs


def test_only_what_the_command_wrote_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.bin").write_bytes(b"old")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.bin").write_bytes(b"a")
    produced = outputs.Produced(tmp_path, ["old.bin", "models", "new.bin"])
    (tmp_path / "new.bin").write_bytes(b"new")
    (tmp_path / "models" / "b.bin").write_bytes(b"b")
    store = LocalStore(tmp_path / "state")
    recs = produced.outputs(["old.bin", "models", "new.bin"], HashCache(None), store)
    assert [(r["path"], r["kind"], r["files"]) for r in recs] == [
        ("models", "dir", 2),
        ("new.bin", "file", 1),
    ]
    assert "old.bin was not written by this run" in capsys.readouterr().err
    assert all(store.has(r["hash"]) for r in recs)  # the directory's manifest too


def test_seeds_from_params_hashseed_and_the_api() -> None:
    params = {"seed": 1, "model.random_state": 2, "lr": 0.1, "data.seed_file": "x"}
    got = outputs.seeds(params, {"numpy": 3}, "0")
    assert got == {
        "seed": 1,
        "model.random_state": 2,
        "data.seed_file": "x",
        "PYTHONHASHSEED": "0",
        "numpy": 3,
    }
