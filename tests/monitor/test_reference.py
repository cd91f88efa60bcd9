"""Reference profiles from rows, columns and JSON; bad input refused."""

from __future__ import annotations

import json

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.monitor import reference


def test_reference_inputs() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert reference.build(rows) == reference.build({"a": [1, 2], "b": ["x", "y"]})
    assert reference.loads(json.dumps(rows), "f")["features"]["a"]["kind"] == "numeric"
    for bad in ("text", 3, [1, 2], {}):
        with pytest.raises(UsageError):
            reference.build(bad)
