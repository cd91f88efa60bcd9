"""runs.tags: the effective tags of a run from its record and its tag facts."""

from __future__ import annotations

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.runs import tags


def test_latest_change_wins_and_removal_wins_a_tie() -> None:
    facts = [
        {"type": "tag", "tag": "b", "at": "2026-01-02T00:00:00.000Z"},
        {"type": "tag", "tag": "a", "remove": True, "at": "2026-01-03T00:00:00.000Z"},
        {"type": "tag", "tag": "c", "at": "2026-01-04T00:00:00.000Z"},
        {"type": "tag", "tag": "c", "remove": True, "at": "2026-01-04T00:00:00.000Z"},
        {"type": "verify", "ok": True},
    ]
    assert tags.effective(["a", "x"], facts) == ["x", "b"]
    assert tags.effective(tags.effective(["a", "x"], facts), facts) == ["x", "b"]  # idempotent


def test_fact_lines_and_bad_tags() -> None:
    line = tags.fact_lines(["t", "t"], remove=True, by="me@x", at="now")
    assert line == '{"at":"now","by":"me@x","remove":true,"tag":"t","type":"tag"}'
    for bad in ("", " t", "a\nb", "x" * 101):
        with pytest.raises(UsageError):
            tags.check_tag(bad)
