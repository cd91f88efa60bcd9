"""The record shape check that keeps a malformed record out of every listing."""

from __future__ import annotations

import pytest

from gitops_ml.runs.recordcheck import problem
from tests.runs.helpers import record

RID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def test_a_plausible_record_passes() -> None:
    assert problem(RID, record(RID)) is None
    assert problem(RID, record(RID, schema=2, name="x", tags=["a"], exit_code=None)) is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"schema": "2.0"}, "'schema' is text"),
        ({"schema": True}, "'schema' is a boolean"),
        ({"git": "x"}, "'git' is text, not an object"),
        ({"params": [1]}, "'params' is a list, not an object"),
        ({"metrics": 3}, "'metrics' is a number"),
        ({"tags": "a"}, "'tags' is text, not a list of text"),
        ({"tags": [1]}, "'tags' is not a list of text"),
        ({"data": [1]}, "'data' is not a list of objects"),
        ({"name": 5}, "'name' is a number, not text"),
        ({"exit_code": "0"}, "'exit_code' is text"),
        ({"duration": "1"}, "'duration' is text"),
        ({"id": "other"}, "does not match its ref"),
    ],
)
def test_wrong_kinds_are_named(fields: dict[str, object], words: str) -> None:
    why = problem(RID, record(RID, **fields))
    assert why is not None and words in why


def test_not_an_object() -> None:
    assert problem(RID, [1]) == "not a JSON object but a list"
