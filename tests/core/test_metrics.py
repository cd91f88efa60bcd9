"""core.metrics: scalar metrics from the declared files, dotted keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.core.metrics import read_metrics
from tests.conftest import write


def test_scalars_flattened_and_others_dropped(tmp_path: Path) -> None:
    write(
        tmp_path / "m.json",
        '{"acc": 0.9, "eval": {"loss": 0.1, "f1": {"macro": 0.5}}, "name": "x", '
        '"ok": true, "none": null, "curve": [1, 2]}',
    )
    write(tmp_path / "more.yaml", "epochs: 3\n")
    got = read_metrics(tmp_path, ["m.json", "more.yaml"])
    assert got == {
        "acc": 0.9,
        "eval.loss": 0.1,
        "eval.f1.macro": 0.5,
        "name": "x",
        "ok": True,
        "none": None,
        "epochs": 3,
    }


def test_later_files_win_on_the_same_key(tmp_path: Path) -> None:
    write(tmp_path / "a.json", '{"acc": 0.1}')
    write(tmp_path / "b.json", '{"acc": 0.2}')
    assert read_metrics(tmp_path, ["a.json", "b.json"]) == {"acc": 0.2}


def test_malformed_file_raises_or_is_reported_and_skipped(tmp_path: Path) -> None:
    write(tmp_path / "bad.json", "{not json")
    write(tmp_path / "good.json", '{"acc": 1}')
    with pytest.raises(UsageError, match=r"bad\.json"):
        read_metrics(tmp_path, ["bad.json", "good.json"])
    told: list[str] = []
    assert read_metrics(tmp_path, ["bad.json", "good.json"], told.append) == {"acc": 1}
    assert len(told) == 1
    assert told[0].startswith("bad.json") and told[0].endswith("its metrics are not recorded")
