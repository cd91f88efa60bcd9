"""Comparing a re-run with the run it reproduces: tolerances per metric, outputs by hash,
and the verdict (with the ``verify`` fact appended to the original run's notes).

The tolerance grammar and the default comparison live in :mod:`gitops_ml.core.tolerance`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gitops_ml.core import tolerance
from gitops_ml.core.errors import UsageError
from gitops_ml.core.tolerance import Tolerance

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def tolerances(flags: Sequence[str], *configs: Mapping[str, str]) -> dict[str, Tolerance]:
    """Per-metric tolerances: ``--tolerance METRIC=SPEC`` flags over the configs in order
    (the first config that names a metric wins)."""
    out: dict[str, Tolerance] = {}
    for cfg in reversed(configs):
        for name, spec in cfg.items():
            out[str(name)] = tolerance.parse(spec, f"tolerances: {name}")
    for flag in flags:
        name, sep, spec = flag.rpartition("=")
        if not sep or not name:
            raise UsageError(
                f"--tolerance {flag!r}: expected METRIC=abs:X or METRIC=rel:Y (or "
                "METRIC=rel:Y,abs:X, METRIC=exact)"
            )
        out[name] = tolerance.parse(spec, f"--tolerance {name}")
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass
class MetricCheck:
    """One recorded metric against the re-run's value."""

    name: str
    expected: Any
    got: Any
    delta: float | None
    tolerance: str
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check(name: str, want: Any, have: Any, tol: Tolerance | None) -> MetricCheck:
    a, b = _number(want), _number(have)
    if a is None or b is None:
        same = want == have and isinstance(want, bool) == isinstance(have, bool)
        return MetricCheck(name, want, have, None, "exact", same)
    use = tol if tol is not None else tolerance.default_for(want, have)
    delta = b - a
    ok = use.allows(a, b)
    if use == tolerance.EXACT and isinstance(want, int) and isinstance(have, int):
        ok = want == have  # beyond 2**53 floats would call neighbours equal
    return MetricCheck(name, want, have, None if math.isnan(delta) else delta, str(use), ok)


def compare_metrics(
    expected: Mapping[str, Any], got: Mapping[str, Any], tols: Mapping[str, Tolerance]
) -> list[MetricCheck]:
    """One check per recorded metric; a metric the re-run did not produce fails. A
    metric without a tolerance gets :func:`gitops_ml.core.tolerance.default_for`."""
    checks = []
    for name, want in expected.items():
        if name not in got:
            tol = tols.get(name) or tolerance.default_for(want, want)
            checks.append(MetricCheck(name, want, None, None, str(tol), False))
        else:
            checks.append(_check(name, want, got[name], tols.get(name)))
    return checks


@dataclass
class OutputCheck:
    """One declared output: its recorded hash against the re-run's."""

    path: str
    expected: str
    got: str | None
    identical: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def compare_outputs(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]]
) -> list[OutputCheck]:
    """Each recorded output against the re-run's, by content hash."""
    new = {str(o.get("path")): str(o.get("hash")) for o in got}
    out = []
    for item in expected:
        path, digest = str(item.get("path")), str(item.get("hash"))
        have = new.get(path)
        out.append(OutputCheck(path, digest, have, have == digest))
    return out


@dataclass
class Verdict:
    """What a reproduce found; ``ok`` is the overall answer."""

    run: str
    by: str
    ok: bool
    verify: bool
    expected_exit: int | None
    exit_code: int
    metrics: list[MetricCheck]
    outputs: list[OutputCheck]
    outputs_must_match: bool
    environment: dict[str, Any]
    worktree: str | None
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "by": self.by,
            "ok": self.ok,
            "verify": self.verify,
            "exit_code": {"expected": self.expected_exit, "got": self.exit_code},
            "metrics": [c.as_dict() for c in self.metrics],
            "outputs": [o.as_dict() for o in self.outputs],
            "outputs_must_match": self.outputs_must_match,
            "environment": self.environment,
            "worktree": self.worktree,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def note(self, at: str) -> str:
        """The ``verify`` fact appended to the original run's notes."""
        fact = {
            "type": "verify",
            "ok": self.ok,
            "by": self.by,
            "at": at,
            "metrics": [c.as_dict() for c in self.metrics],
            "outputs": [{"path": o.path, "identical": o.identical} for o in self.outputs],
        }
        return json.dumps(fact, sort_keys=True, separators=(",", ":"), default=str)


def passed(
    metrics: Sequence[MetricCheck],
    outputs: Sequence[OutputCheck],
    *,
    expected_exit: Any,
    exit_code: int,
    outputs_must_match: bool,
) -> bool:
    """The overall answer: every metric within tolerance, the recorded exit code, and
    (when required) bitwise identical outputs."""
    return (
        all(c.ok for c in metrics)
        and (expected_exit is None or exit_code == expected_exit)
        and (not outputs_must_match or all(o.identical for o in outputs))
    )
