"""The grid's strategy.matrix (ci/matrix.py)."""

from __future__ import annotations

import pytest

from gitops_ml.ci.matrix import combinations, matrix
from gitops_ml.ci.settings import Regression, Settings
from gitops_ml.core.errors import UsageError


def _settings(grid: dict, max_jobs: int = 64) -> Settings:
    return Settings(
        primary="accuracy",
        allowed_regression=Regression("abs", 0.0),
        train=["python", "train.py"],
        grid=grid,
        max_runs=10,
        max_jobs=max_jobs,
        unverifiable_fails=True,
    )


def test_every_point_in_declaration_order_as_p_lines() -> None:
    got = matrix(_settings({"lr": [0.1, 0.2], "opt": ["sgd"], "flag": [True, None], "l": [[1, 2]]}))
    assert [j["params"] for j in got["include"]] == [
        "lr=0.1\nopt=sgd\nflag=true\nl=[1,2]",
        "lr=0.1\nopt=sgd\nflag=null\nl=[1,2]",
        "lr=0.2\nopt=sgd\nflag=true\nl=[1,2]",
        "lr=0.2\nopt=sgd\nflag=null\nl=[1,2]",
    ]
    assert got["include"][0]["name"] == "lr=0.1 opt=sgd flag=true l=[1,2]"
    assert [j["index"] for j in got["include"]] == [0, 1, 2, 3]


def test_limits_and_refusals() -> None:
    with pytest.raises(UsageError, match="no grid"):
        combinations(_settings({}))
    with pytest.raises(UsageError, match="max_jobs"):
        combinations(_settings({"a": [1, 2, 3], "b": [1, 2]}, max_jobs=5))
    with pytest.raises(UsageError, match="single lines"):
        matrix(_settings({"note": ["a\nb"]}))
