"""Metrics files written by a run's command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_ml.params import flatten, load_file


def read_metrics(root: Path, paths: list[str]) -> dict[str, Any]:
    """The scalar metrics found in the declared metrics files (dotted keys)."""
    metrics: dict[str, Any] = {}
    for rel in paths:
        data = load_file(root / rel, rel)
        for key, value in flatten(data).items():
            if isinstance(value, int | float | str | bool) or value is None:
                metrics[key] = value
    return metrics
