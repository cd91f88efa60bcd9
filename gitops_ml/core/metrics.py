"""Metrics files written by a run's command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitops_ml.core.errors import UsageError
from gitops_ml.core.params import flatten, load_file

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def read_metrics(
    root: Path, paths: list[str], on_error: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The scalar metrics found in the declared metrics files (dotted keys).

    A malformed file raises, unless ``on_error`` is given: then it is told the one-line
    problem and the file is skipped (a run is recorded even when its metrics are broken).
    """
    metrics: dict[str, Any] = {}
    for rel in paths:
        try:
            data = load_file(root / rel, rel)
        except UsageError as exc:
            if on_error is None:
                raise
            on_error(f"{exc}; its metrics are not recorded")
            continue
        for key, value in flatten(data).items():
            if isinstance(value, int | float | str | bool) or value is None:
                metrics[key] = value
    return metrics
