"""The `ci` settings of gitops-ml.yaml (ci/settings.py, validated in core/config.py)."""

from __future__ import annotations

import pytest

from gitops_ml.ci.settings import DEFAULT_MAX_RUNS, load
from gitops_ml.core.config import Config, validate_text
from gitops_ml.core.errors import UsageError


def test_defaults_and_the_top_level_primary() -> None:
    s = load(Config(primary="-loss"))
    assert (s.metric, s.higher_is_better, s.train, s.grid) == ("loss", False, None, {})
    assert str(s.allowed_regression) == "abs:0" and s.max_runs == DEFAULT_MAX_RUNS
    assert s.unverifiable_fails


def test_values() -> None:
    s = load(
        Config(
            primary="accuracy",
            ci={
                "primary": "f1",
                "allowed_regression": "rel:0.1",
                "train": "python train.py --epochs '3 4'",
                "max_runs": 2,
                "unverifiable": "pass",
            },
        )
    )
    assert s.metric == "f1" and s.train == ["python", "train.py", "--epochs", "3 4"]
    assert s.allowed_regression.allowed(0.8) == pytest.approx(0.08)
    assert s.max_runs == 2 and not s.unverifiable_fails
    assert load(Config(ci={"allowed_regression": 0.02})).allowed_regression.allowed(9) == 0.02
    with pytest.raises(UsageError, match=r"ci\.train"):
        load(Config(ci={"train": "python 'unclosed"}))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ci: [1]", "'ci'"),
        ("ci:\n  nope: 1", "'ci.nope'"),
        ("ci:\n  allowed_regression: lots", "'ci.allowed_regression'"),
        ("ci:\n  allowed_regression: -1", "'ci.allowed_regression'"),
        ("ci:\n  grid: {lr: []}", "'ci.grid"),
        ("ci:\n  max_runs: 0", "'ci.max_runs'"),
        ("ci:\n  unverifiable: maybe", "'ci.unverifiable'"),
        ("ci:\n  train: ''", "'ci.train'"),
    ],
)
def test_bad_settings_are_named(text: str, named: str) -> None:
    _, problems = validate_text(text)
    assert len(problems) == 1 and named in problems[0].message
    assert problems[0].line in (1, 2)
