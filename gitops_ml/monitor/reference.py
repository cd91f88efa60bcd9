"""Reference profiles: what the training features looked like, to measure drift against.

A profile is JSON (schema 1)::

    {"schema": 1, "rows": 1000, "features": {
        "age":  {"kind": "numeric", "edges": [...], "expected": [...], "sample": [...]},
        "plan": {"kind": "categorical", "expected": {"basic": 0.7, "pro": 0.3}}}}

``edges`` are the interior decile edges (PSI bins), ``expected`` the reference share of
each bin, ``sample`` up to :data:`SAMPLE` evenly spaced order statistics (what the
two-sample test compares the live window with). Built in pure Python, so recording a
reference in a training script needs nothing beyond gitops-ml.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

SCHEMA = 1
BINS = 10
SAMPLE = 2000
MAX_CATEGORIES = 50
REFERENCE_PATH = ".gitops-ml/reference.json"  # the logical path of a logged reference


def columns(features: Any) -> dict[str, list[Any]]:
    """Feature name -> values, from rows (a list of mappings), a mapping of columns, or a
    data frame (anything with ``to_dict("list")``)."""
    if hasattr(features, "to_dict") and not isinstance(features, Mapping):
        features = features.to_dict("list")
    if isinstance(features, Mapping):
        out = {str(k): list(v) for k, v in features.items()}
        return out
    if isinstance(features, Iterable) and not isinstance(features, str | bytes):
        cols: dict[str, list[Any]] = {}
        for row in features:
            if not isinstance(row, Mapping):
                raise UsageError("reference features: rows must be mappings of feature -> value")
            for k, v in row.items():
                cols.setdefault(str(k), []).append(v)
        return cols
    raise UsageError(
        "reference features must be rows (a list of dicts), columns (a dict of lists) "
        "or a data frame"
    )


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _numeric(values: list[float]) -> dict[str, Any]:
    values = sorted(values)
    n = len(values)
    edges = sorted({values[min(n - 1, (n * i) // BINS)] for i in range(1, BINS)})
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_right(edges, v)] += 1
    k = min(SAMPLE, n)
    sample = [values[(i * (n - 1)) // max(1, k - 1)] for i in range(k)] if k > 1 else values
    return {
        "kind": "numeric",
        "edges": edges,
        "expected": [c / n for c in counts],
        "sample": sample,
    }


def _categorical(values: list[Any]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for v in values:
        counts[str(v)] = counts.get(str(v), 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CATEGORIES]
    n = len(values)
    expected = {k: c / n for k, c in top}
    rest = n - sum(c for _, c in top)
    if rest:
        expected["__other__"] = rest / n
    return {"kind": "categorical", "expected": expected}


def build(features: Any) -> dict[str, Any]:
    """The reference profile of ``features`` (see the module docstring)."""
    cols = columns(features)
    if not cols:
        raise UsageError("reference features are empty")
    profile: dict[str, Any] = {"schema": SCHEMA, "rows": 0, "features": {}}
    for name, values in cols.items():
        present = [v for v in values if v is not None]
        if not present:
            continue
        nums = [_number(v) for v in present]
        if all(x is not None for x in nums):
            profile["features"][name] = _numeric([x for x in nums if x is not None])
        else:
            profile["features"][name] = _categorical(present)
        profile["rows"] = max(profile["rows"], len(values))
    return profile


def dumps(profile: dict[str, Any]) -> bytes:
    """A profile as canonical JSON bytes (stable hash for the same data)."""
    return json.dumps(profile, sort_keys=True, separators=(",", ":")).encode()


def loads(data: bytes | str, shown: str) -> dict[str, Any]:
    """A profile from JSON, or a profile built from raw features (rows or columns) in JSON."""
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise UsageError(f"{shown}: not JSON: {exc}") from None
    if isinstance(value, dict) and value.get("schema") == SCHEMA and "features" in value:
        if not isinstance(value["features"], dict):
            raise UsageError(f"{shown}: 'features' must be a mapping")
        return value
    try:
        return build(value)
    except UsageError as exc:
        raise UsageError(f"{shown}: {exc}") from None


def load_file(path: Path) -> dict[str, Any]:
    """A declared reference file: a profile, or features as JSON rows/columns."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the reference: {exc.strerror}") from None
    return loads(data, str(path))
