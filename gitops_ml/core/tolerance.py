"""How close a re-run's metric must be to the recorded one: the one tolerance grammar.

A tolerance is written ``exact``, ``abs:X`` (``|got - expected| <= X``), ``rel:Y``
(``|got - expected| <= Y * |expected|``) or both, ``rel:Y,abs:X`` (either bound is
enough, like :func:`math.isclose`). ``gitops-ml.yaml``'s ``tolerances:`` and
``reproduce --tolerance`` both go through :func:`parse` (the config loader through
:func:`is_valid`), so the grammar is written once, here.

Without a configured tolerance, a metric that is a whole number (an ``int`` in the
metrics file) is compared exactly and any other number with :data:`DEFAULT`,
``rel:1e-9,abs:1e-12``: it absorbs floating-point noise (a different summation order,
e.g. ``n_jobs=2``, moves the last bits: 1.1e-16 on 0.6, a relative 2e-16; float64 keeps
about 16 significant digits, so a billion times that is still noise) and nothing a
training change produces (one sample of a billion flips an accuracy by 1e-9). The
absolute part covers results that should be zero and come out as 1e-17.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gitops_ml.core.errors import UsageError

_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_BOUND = re.compile(rf"^(abs|rel):({_NUMBER})$")
GRAMMAR = "abs:X or rel:Y (or both, rel:Y,abs:X; or exact)"


@dataclass(frozen=True)
class Tolerance:
    """Allowed difference: ``abs`` and/or ``rel`` bounds; neither means exact."""

    abs: float | None = None
    rel: float | None = None

    def __str__(self) -> str:
        parts = [f"rel:{self.rel:g}"] if self.rel is not None else []
        parts += [f"abs:{self.abs:g}"] if self.abs is not None else []
        return ",".join(parts) or "exact"

    def allows(self, expected: float, got: float) -> bool:
        """Whether ``got`` is close enough to ``expected`` (NaN matches only NaN)."""
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        if got == expected:
            return True
        if math.isinf(expected) or math.isinf(got):
            return False
        diff = abs(got - expected)
        if self.abs is not None and diff <= self.abs:
            return True
        return self.rel is not None and diff <= self.rel * abs(expected)


EXACT = Tolerance()
DEFAULT = Tolerance(abs=1e-12, rel=1e-9)


def _bounds(text: str) -> Tolerance | None:
    spec = str(text).strip()
    if spec == "exact":
        return EXACT
    found: dict[str, float] = {}
    for part in spec.split(","):
        m = _BOUND.match(part.strip())
        if not m or m.group(1) in found:
            return None
        found[m.group(1)] = float(m.group(2))
    return Tolerance(abs=found.get("abs"), rel=found.get("rel"))


def is_valid(text: object) -> bool:
    """Whether ``text`` is a tolerance in the grammar above."""
    return isinstance(text, str) and _bounds(text) is not None


def parse(text: str, where: str) -> Tolerance:
    """The tolerance ``text`` says, else a usage error naming ``where``."""
    got = _bounds(text)
    if got is None:
        raise UsageError(f"{where}: tolerance must be {GRAMMAR}, not {text!r}")
    return got


def default_for(expected: object, got: object) -> Tolerance:
    """The tolerance of a metric nobody configured: exact for two whole numbers, else
    :data:`DEFAULT`."""
    if isinstance(expected, int) and isinstance(got, int):
        return EXACT
    return DEFAULT
