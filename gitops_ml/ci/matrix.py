"""``ci matrix``: the ``strategy.matrix`` of a params grid declared under ``ci.grid``.

Each job gets ``name`` (``lr=0.1 seed=1``) and ``params`` (one ``KEY=VALUE`` per line, the
form ``gitops-ml run -p`` takes), so a workflow passes them through ``env:`` untouched.
"""

from __future__ import annotations

import itertools
import json

from gitops_ml.ci.settings import Settings
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _value(v: Any) -> str:
    """A grid value as ``-p`` parses it back (YAML scalars; lists and maps as JSON)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def combinations(settings: Settings) -> list[dict[str, Any]]:
    """Every point of the grid, in declaration order."""
    if not settings.grid:
        raise UsageError("no grid: declare ci.grid (param -> list of values) in gitops-ml.yaml")
    names = list(settings.grid)
    points = [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*settings.grid.values())
    ]
    if len(points) > settings.max_jobs:
        raise UsageError(
            f"the grid has {len(points)} points, more than ci.max_jobs ({settings.max_jobs}): "
            "raise ci.max_jobs or shrink the grid"
        )
    return points


def matrix(settings: Settings) -> dict[str, Any]:
    """``{"include": [{"name", "params", "index"}, ...]}`` for ``fromJSON`` in a workflow."""
    include = []
    for i, point in enumerate(combinations(settings)):
        pairs = [f"{k}={_value(v)}" for k, v in point.items()]
        if any("\n" in p or "\r" in p for p in pairs):
            raise UsageError("ci.grid: names and values must be single lines")
        include.append({"index": i, "name": " ".join(pairs), "params": "\n".join(pairs)})
    return {"include": include}
