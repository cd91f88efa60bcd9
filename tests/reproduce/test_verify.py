"""Comparing a re-run with its run: tolerances per metric, outputs by hash, the verdict and its note."""

from __future__ import annotations

import json
import math

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.core.tolerance import DEFAULT, Tolerance
from gitops_ml.reproduce.verify import (
    MetricCheck,
    OutputCheck,
    Verdict,
    compare_metrics,
    compare_outputs,
    passed,
    tolerances,
)


def test_flags_beat_the_current_config_which_beats_the_snapshot_config() -> None:
    got = tolerances(
        ["loss=abs:0.5", "a=b=rel:0.1"],
        {"loss": "abs:0.1", "acc": "rel:0.01"},
        {"acc": "abs:9", "f1": "abs:0.2"},
    )
    assert got == {
        "loss": Tolerance(abs=0.5),
        "a=b": Tolerance(rel=0.1),  # metric names may hold '='
        "acc": Tolerance(rel=0.01),
        "f1": Tolerance(abs=0.2),
    }
    with pytest.raises(UsageError, match="METRIC=abs:X"):
        tolerances(["abs:0.1"])


def test_every_recorded_metric_is_checked_and_a_missing_one_fails() -> None:
    checks = compare_metrics(
        {"loss": 0.5, "acc": 0.9, "f1": 0.7, "model": "cnn", "best": True},
        {"loss": 0.505, "acc": 0.8, "model": "cnn", "best": 1, "extra": 3},
        {"loss": Tolerance(abs=0.01)},
    )
    by = {c.name: c for c in checks}
    assert [c.name for c in checks] == ["loss", "acc", "f1", "model", "best"]
    assert by["loss"].ok and by["loss"].delta == pytest.approx(0.005)
    assert by["loss"].tolerance == "abs:0.01"
    assert not by["acc"].ok and by["acc"].delta == pytest.approx(-0.1)
    assert not by["f1"].ok and by["f1"].got is None
    assert by["model"].ok and by["model"].delta is None
    assert not by["best"].ok  # a bool is not the number 1


def test_without_a_tolerance_floats_absorb_noise_and_whole_numbers_are_exact() -> None:
    checks = compare_metrics(
        {"loss": 0.1 + 0.2 + 0.3, "auc": 0.5, "epochs": 3, "n": 10**17, "zero": 0.0},
        {"loss": 0.6, "auc": 0.5000001, "epochs": 3, "n": 10**17 + 1, "zero": 1e-17},
        {},
    )
    by = {c.name: c for c in checks}
    assert by["loss"].ok and by["loss"].delta != 0 and by["loss"].tolerance == str(DEFAULT)
    assert not by["auc"].ok  # 2e-7 relative is real
    assert by["epochs"].ok and by["epochs"].tolerance == "exact"
    assert not by["n"].ok  # integers: exact, whatever their size
    assert by["zero"].ok  # the absolute part: 1e-17 is noise around zero
    assert math.isnan(math.nan) and compare_metrics({"x": math.nan}, {"x": math.nan}, {})[0].ok
    missing = compare_metrics({"x": 0.5}, {}, {})[0]
    assert not missing.ok and missing.tolerance == str(DEFAULT)


def test_the_overall_answer() -> None:
    good = [MetricCheck("a", 1, 1, 0.0, "exact", True)]
    bad_out = [OutputCheck("m", "a", "b", False)]
    assert passed(good, bad_out, expected_exit=0, exit_code=0, outputs_must_match=False)
    assert not passed(good, bad_out, expected_exit=0, exit_code=0, outputs_must_match=True)
    assert not passed(good, [], expected_exit=0, exit_code=1, outputs_must_match=False)
    assert passed(good, [], expected_exit=None, exit_code=1, outputs_must_match=False)
    assert not passed(
        [MetricCheck("a", 1, 2, 1.0, "exact", False)],
        [],
        expected_exit=0,
        exit_code=0,
        outputs_must_match=False,
    )


def test_outputs_compare_by_hash() -> None:
    got = compare_outputs(
        [{"path": "model.bin", "hash": "a" * 64}, {"path": "gone.bin", "hash": "b" * 64}],
        [{"path": "model.bin", "hash": "a" * 64}],
    )
    assert got == [
        OutputCheck("model.bin", "a" * 64, "a" * 64, True),
        OutputCheck("gone.bin", "b" * 64, None, False),
    ]


def test_the_verify_note_has_the_documented_shape() -> None:
    verdict = Verdict(
        run="01A",
        by="01B",
        ok=False,
        verify=True,
        expected_exit=0,
        exit_code=0,
        metrics=[MetricCheck("loss", 0.5, 0.6, 0.1, "exact", False)],
        outputs=[OutputCheck("model.bin", "a" * 64, "c" * 64, False)],
        outputs_must_match=False,
        environment={},
        worktree=None,
    )
    fact = json.loads(verdict.note("2026-01-01T00:00:00.000Z"))
    assert fact == {
        "type": "verify",
        "ok": False,
        "by": "01B",
        "at": "2026-01-01T00:00:00.000Z",
        "metrics": [
            {
                "name": "loss",
                "expected": 0.5,
                "got": 0.6,
                "delta": 0.1,
                "tolerance": "exact",
                "ok": False,
            }
        ],
        "outputs": [{"path": "model.bin", "identical": False}],
    }
    assert "\n" not in verdict.note("x")
    assert verdict.as_dict()["exit_code"] == {"expected": 0, "got": 0}
