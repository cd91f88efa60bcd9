"""The record and the notes line put together from what a run collected."""

from __future__ import annotations

import json

from gitops_ml.core import record
from gitops_ml.runs import assemble
from gitops_ml.runs.recorder import RunSpec


def test_build_has_every_record_key_and_the_note_summarises_it() -> None:
    spec = RunSpec(["python", "t.py"], name="n", tags=["a"], isolated=True)
    collected = {
        "params": {"lr": 0.1},
        "metrics": {"acc": 0.9},
        "data": [],
        "outputs": [],
        "artifacts": [],
        "environment": {"python": "3.11.7"},
        "seeds": {},
        "tags": ["a"],
        "skipped": [{"path": ".env", "size": 3}],
    }
    rec = assemble.build(
        run_id="01J9",
        spec=spec,
        cwd=".",
        exit_code=3,
        timing=assemble.Timing(1_700_000_000.5, 1_700_000_002.25),
        ident=("A", "a@x"),
        git={"base": None, "branch": "main", "dirty": False, "tree": "t"},
        collected=collected,
    )
    assert set(rec) == set(record.KEYS)
    assert rec["started"] == "2023-11-14T22:13:20.500Z" and rec["duration"] == 1.75
    assert rec["isolated"] is True and rec["user"] == {"name": "A", "email": "a@x"}
    note = json.loads(assemble.note(rec))
    assert note == {
        "type": "run",
        "run": "01J9",
        "name": "n",
        "exit_code": 3,
        "metrics": {"acc": 0.9},
        "user": "a@x",
        "started": rec["started"],
    }
