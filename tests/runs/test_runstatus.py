"""runs.runstatus: status and tags derived from the record and its notes."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ml.runs.runstatus import status, tags


@pytest.mark.parametrize(
    ("rec", "want"),
    [
        ({"exit_code": 0}, "ok"),
        ({"exit_code": 2}, "exit 2"),
        ({"exit_code": None}, "exit None"),
        ({"exit_code": 0, "notes": [{"type": "verify", "ok": True}]}, "verified"),
        ({"exit_code": 0, "notes": [{"type": "verify", "ok": False}]}, "not reproduced"),
        # the latest verdict decides; other facts do not count
        (
            {
                "exit_code": 1,
                "notes": [
                    {"type": "verify", "ok": False},
                    {"type": "verify", "ok": True},
                    {"type": "tag", "tag": "x"},
                ],
            },
            "verified",
        ),
        ({"exit_code": 0, "notes": [{"type": "deploy"}]}, "ok"),
    ],
)
def test_status(rec: dict[str, Any], want: str) -> None:
    assert status(rec) == want


def test_tags_from_record_then_notes_without_duplicates() -> None:
    rec = {
        "tags": ["baseline"],
        "notes": [
            {"type": "tag", "tag": "best"},
            {"type": "tag", "tag": "baseline"},
            {"type": "verify", "ok": True},
            {"type": "tag", "tag": "prod"},
        ],
    }
    assert tags(rec) == ["baseline", "best", "prod"]
    assert tags({}) == []
    assert rec["tags"] == ["baseline"]  # the record is not changed
