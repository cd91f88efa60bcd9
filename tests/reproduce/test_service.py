"""The reproduce service: tolerances, metric and output comparison, the verdict and its note."""

from __future__ import annotations

import json
import math

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.reproduce.service import (
    EXACT,
    MetricCheck,
    OutputCheck,
    Tolerance,
    Verdict,
    compare_metrics,
    compare_outputs,
    parse_tolerance,
    tolerances,
)


def test_tolerance_semantics() -> None:
    assert Tolerance("abs", 0.01).allows(0.5, 0.509)
    assert not Tolerance("abs", 0.01).allows(0.5, 0.52)
    assert Tolerance("rel", 0.1).allows(-10.0, -10.9)  # |d| <= 0.1 * |expected|
    assert not Tolerance("rel", 0.1).allows(-10.0, -11.5)
    assert not Tolerance("rel", 0.5).allows(0.0, 1e-12)  # rel of zero is exact
    assert EXACT.allows(0.25, 0.25) and not EXACT.allows(0.25, 0.25000000001)
    assert EXACT.allows(math.nan, math.nan) and not Tolerance("abs", 9).allows(1.0, math.nan)
    assert str(Tolerance("abs", 0.02)) == "abs:0.02" and str(EXACT) == "exact"


@pytest.mark.parametrize("bad", ["0.1", "abs:", "abs:-1", "within:1", "abs:1e", "rel:x"])
def test_bad_tolerances_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="abs:X or rel:Y"):
        parse_tolerance(bad, "--tolerance loss")


def test_flags_beat_the_current_config_which_beats_the_snapshot_config() -> None:
    got = tolerances(
        ["loss=abs:0.5", "a=b=rel:0.1"],
        {"loss": "abs:0.1", "acc": "rel:0.01"},
        {"acc": "abs:9", "f1": "abs:0.2"},
    )
    assert got == {
        "loss": Tolerance("abs", 0.5),
        "a=b": Tolerance("rel", 0.1),  # metric names may hold '='
        "acc": Tolerance("rel", 0.01),
        "f1": Tolerance("abs", 0.2),
    }
    with pytest.raises(UsageError, match="METRIC=abs:X"):
        tolerances(["abs:0.1"])


def test_every_recorded_metric_is_checked_and_a_missing_one_fails() -> None:
    checks = compare_metrics(
        {"loss": 0.5, "acc": 0.9, "f1": 0.7, "model": "cnn", "best": True},
        {"loss": 0.505, "acc": 0.8, "model": "cnn", "best": 1, "extra": 3},
        {"loss": Tolerance("abs", 0.01)},
    )
    by = {c.name: c for c in checks}
    assert [c.name for c in checks] == ["loss", "acc", "f1", "model", "best"]
    assert by["loss"].ok and by["loss"].delta == pytest.approx(0.005)
    assert by["loss"].tolerance == "abs:0.01"
    assert not by["acc"].ok and by["acc"].delta == pytest.approx(-0.1)
    assert not by["f1"].ok and by["f1"].got is None
    assert by["model"].ok and by["model"].delta is None
    assert not by["best"].ok  # a bool is not the number 1


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
