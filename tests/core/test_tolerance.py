"""The one tolerance grammar: parsing, printing, and what each bound allows."""

from __future__ import annotations

import math

import pytest

from gitops_ml.core import tolerance
from gitops_ml.core.errors import UsageError
from gitops_ml.core.tolerance import DEFAULT, EXACT, Tolerance


def test_tolerance_semantics() -> None:
    assert Tolerance(abs=0.01).allows(0.5, 0.509)
    assert not Tolerance(abs=0.01).allows(0.5, 0.52)
    assert Tolerance(rel=0.1).allows(-10.0, -10.9)  # |d| <= 0.1 * |expected|
    assert not Tolerance(rel=0.1).allows(-10.0, -11.5)
    assert not Tolerance(rel=0.5).allows(0.0, 1e-12)  # rel of zero is exact
    assert Tolerance(rel=0.5, abs=1e-9).allows(0.0, 1e-12)  # either bound is enough
    assert EXACT.allows(0.25, 0.25) and not EXACT.allows(0.25, 0.25000000001)
    assert EXACT.allows(math.nan, math.nan) and not Tolerance(abs=9).allows(1.0, math.nan)
    assert DEFAULT.allows(math.inf, math.inf) and not DEFAULT.allows(math.inf, -math.inf)
    assert not Tolerance(abs=1e300).allows(math.inf, 1.0)
    assert str(Tolerance(abs=0.02)) == "abs:0.02" and str(EXACT) == "exact"
    assert str(DEFAULT) == "rel:1e-09,abs:1e-12"


def test_the_default_absorbs_last_bit_drift_and_nothing_a_change_makes() -> None:
    a, b = 0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1
    assert a != b and abs(a - b) == pytest.approx(1.1e-16, rel=0.01)
    assert DEFAULT.allows(a, b)
    assert DEFAULT.allows(0.9, math.nextafter(math.nextafter(0.9, 1), 1))  # two ulps
    assert not DEFAULT.allows(0.9, 0.9 + 1e-8)
    assert not DEFAULT.allows(0.123456, 0.123457)
    assert tolerance.default_for(3, 3) is EXACT
    assert tolerance.default_for(3, 3.0) is DEFAULT
    assert tolerance.default_for(0.5, 0.5) is DEFAULT


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("exact", EXACT),
        ("abs:0.01", Tolerance(abs=0.01)),
        ("rel:.5", Tolerance(rel=0.5)),
        ("rel:1e-6,abs:1e-9", Tolerance(abs=1e-9, rel=1e-6)),
        (" abs:2, rel:3 ", Tolerance(abs=2.0, rel=3.0)),
        ("abs:1E+2", Tolerance(abs=100.0)),
    ],
)
def test_parse(text: str, want: Tolerance) -> None:
    assert tolerance.parse(text, "x") == want and tolerance.is_valid(text)


@pytest.mark.parametrize(
    "bad",
    ["0.1", "abs:", "abs:-1", "within:1", "abs:1e", "rel:x", "abs:1,abs:2", "exact,abs:1", ""],
)
def test_bad_tolerances_are_usage_errors(bad: str) -> None:
    assert not tolerance.is_valid(bad)
    with pytest.raises(UsageError, match=r"--tolerance loss: tolerance must be abs:X or rel:Y"):
        tolerance.parse(bad, "--tolerance loss")
    assert not tolerance.is_valid(0.1) and not tolerance.is_valid(None)
