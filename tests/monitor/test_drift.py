"""Drift statistics: low in distribution, high when shifted."""

from __future__ import annotations

import random

import pytest

from gitops_ml.monitor import drift, reference


def _rows(n: int, seed: int, mean: float, plans: list[str]) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"x": rng.gauss(mean, 1), "plan": rng.choice(plans)} for _ in range(n)]


def test_drift_low_in_distribution_high_when_shifted() -> None:
    profile = reference.build(_rows(5000, 1, 0.0, ["a", "b"]))
    assert profile["features"]["x"]["kind"] == "numeric"
    assert len(profile["features"]["x"]["edges"]) == 9
    assert profile["features"]["plan"]["expected"] == pytest.approx({"a": 0.5, "b": 0.5}, abs=0.03)
    same = _rows(500, 2, 0.0, ["a", "b"])
    moved = _rows(500, 3, 1.5, ["b"])
    windows = {k: [r[k] for r in same] for k in ("x", "plan")}
    low = drift.measure(profile, windows)
    windows = {k: [r[k] for r in moved] for k in ("x", "plan")}
    high = drift.measure(profile, windows)
    assert low["x"]["psi"] < 0.1 and low["x"]["statistic"] < 0.1 and low["x"]["pvalue"] > 0.01
    assert high["x"]["psi"] > 0.5 and high["x"]["statistic"] > 0.4 and high["x"]["pvalue"] < 1e-6
    assert low["plan"]["psi"] < 0.05 and high["plan"]["psi"] > 1
    assert (low["x"]["test"], low["plan"]["test"]) == ("ks", "chi2")
    assert drift.measure(profile, {"x": [1.0]}) == {}  # too few observations
