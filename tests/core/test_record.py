"""The run record text: the message format and the distribution-list cut used by the index."""

from __future__ import annotations

import json

import pytest

from gitops_ml.core import record
from gitops_ml.core.errors import GitopsError


def _rec(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "schema": 1,
        "id": "01ABC",
        "environment": {"distributions": {"a": "1", "b-c": "2.0"}, "python": "3.11.7"},
        "metrics": {"acc": 0.9},
    }
    base.update(extra)
    return base


def test_message_round_trip() -> None:
    text = record.message(_rec(name="baseline"))
    assert text.startswith("gitops-ml run 01ABC: baseline\n\n")
    body = text.split("\n\n", 1)[1]
    assert record.loads("01ABC", body, "c0ffee")["git"] == {"snapshot": "c0ffee"}


def test_cut_distributions_equals_slim() -> None:
    rec = _rec()
    cut, count = record.cut_distributions(record.dumps(rec))
    assert count == 2
    slim = record.slim(rec)
    slim["environment"].pop("distributions_count")
    assert json.loads(cut) == slim
    # Not in the expected shape: left to the full parse.
    assert record.cut_distributions('{"id":"x"}') == ('{"id":"x"}', None)


def test_damaged_records_raise() -> None:
    with pytest.raises(GitopsError):
        record.loads("01ABC", "{not json", None)
    with pytest.raises(GitopsError):
        record.loads("01ABC", json.dumps({"id": "OTHER"}), None)
    newer = record.loads("01ABC", json.dumps({"id": "01ABC", "schema": 99}), None)
    assert newer["warnings"]
