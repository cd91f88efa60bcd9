"""core.facts: lenient parsing of notes lines."""

from __future__ import annotations

from gitops_ml.core.facts import parse_facts


def test_objects_kept_in_order_others_skipped() -> None:
    lines = [
        '{"verified": true, "run": "A"}',
        "",
        "   ",
        "not json",
        "[1, 2]",
        '"a string"',
        '{"tag": "best"}',
        "<<<<<<< merge artefact",
    ]
    assert parse_facts(lines) == [{"verified": True, "run": "A"}, {"tag": "best"}]


def test_accepts_any_iterable() -> None:
    assert parse_facts(iter(['{"a": 1}'])) == [{"a": 1}]
    assert parse_facts([]) == []
