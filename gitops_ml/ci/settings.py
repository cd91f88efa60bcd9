"""The ``ci`` settings of ``gitops-ml.yaml``: what the pull-request check compares and runs.

```yaml
primary: accuracy
ci:
  primary: accuracy            # default: the top-level primary
  allowed_regression: abs:0.01 # or rel:0.02, or a number (abs); default 0: never worse
  train: python train.py       # the command `ci verify --mode retrain` records
  grid: {lr: [0.1, 0.3], seed: [1, 2]}   # `ci matrix` fans this out
  max_runs: 10                 # claimed runs verified per check (newest first)
  max_jobs: 64                 # grid jobs at most
  unverifiable: fail           # a claimed run without metrics fails the check (or: pass)
```
"""

from __future__ import annotations

import shlex

from gitops_ml.core.config import Config
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_MAX_RUNS = 10
DEFAULT_MAX_JOBS = 64


class Regression:
    """How much worse than the base's best a candidate may be: ``abs:X`` or ``rel:Y``."""

    def __init__(self, kind: str, amount: float) -> None:
        self.kind = kind
        self.amount = amount

    def __str__(self) -> str:
        return f"{self.kind}:{self.amount:g}"

    def allowed(self, base_value: float) -> float:
        """The largest allowed loss against ``base_value``, in the metric's units."""
        return self.amount * abs(base_value) if self.kind == "rel" else self.amount


class Settings:
    """The parsed ``ci`` mapping, with defaults."""

    def __init__(
        self,
        *,
        primary: str | None,
        allowed_regression: Regression,
        train: list[str] | None,
        grid: dict[str, list[Any]],
        max_runs: int,
        max_jobs: int,
        unverifiable_fails: bool,
    ) -> None:
        self.primary = primary
        self.allowed_regression = allowed_regression
        self.train = train
        self.grid = grid
        self.max_runs = max_runs
        self.max_jobs = max_jobs
        self.unverifiable_fails = unverifiable_fails

    @property
    def metric(self) -> str | None:
        """The primary metric's name, without the ``-`` of lower-is-better."""
        return self.primary.lstrip("-") if self.primary else None

    @property
    def higher_is_better(self) -> bool:
        return not (self.primary or "").startswith("-")


def _regression(value: Any) -> Regression:
    if value is None:
        return Regression("abs", 0.0)
    if isinstance(value, int | float):
        return Regression("abs", float(value))
    kind, _, amount = str(value).partition(":")
    return Regression(kind, float(amount))


def load(cfg: Config) -> Settings:
    """Settings from a loaded config (already validated by :mod:`gitops_ml.core.config`)."""
    ci = cfg.ci
    train = ci.get("train")
    try:
        argv = shlex.split(train) if isinstance(train, str) else None
    except ValueError as exc:
        raise UsageError(f"gitops-ml.yaml: 'ci.train' is not a valid command line: {exc}") from None
    return Settings(
        primary=ci.get("primary") or cfg.primary,
        allowed_regression=_regression(ci.get("allowed_regression")),
        train=argv or None,
        grid={str(k): list(v) for k, v in (ci.get("grid") or {}).items()},
        max_runs=int(ci.get("max_runs") or DEFAULT_MAX_RUNS),
        max_jobs=int(ci.get("max_jobs") or DEFAULT_MAX_JOBS),
        unverifiable_fails=ci.get("unverifiable", "fail") != "pass",
    )
