"""The side channel: what the API logs inside a command, merged by the run."""

from __future__ import annotations

import json
from pathlib import Path

from gitops_ml.runs import sidechannel


def test_lines_merge_and_torn_or_foreign_lines_are_skipped(tmp_path: Path) -> None:
    side = tmp_path / "run.jsonl"
    lines = [
        json.dumps({"params": {"opt": {"lr": 0.1}}, "tags": ["a"]}),
        json.dumps({"metrics": {"acc": 0.5}}),
        json.dumps({"metrics": {"acc": 0.7}, "seeds": {"np": 1}, "tags": ["a", "b"]}),
        json.dumps({"artifact": {"path": "m.bin", "hash": "ab" * 32}}),
        "[1, 2]",
        '{"metrics": {"torn"',
    ]
    side.write_text("\n".join(lines))
    logged = sidechannel.Logged({"batch": 32}, ["t"])
    logged.read(side)
    assert logged.params == {"batch": 32, "opt.lr": 0.1}
    assert logged.metrics == {"acc": 0.7}
    assert logged.tags == ["t", "a", "b"] and logged.seeds == {"np": 1}
    assert [a["path"] for a in logged.artifacts] == ["m.bin"]
    logged.read(tmp_path / "missing.jsonl")  # nothing logged: nothing merged


def test_params_file_holds_the_json(tmp_path: Path) -> None:
    text = sidechannel.write_params(tmp_path / "p.json", {"d": "2001-01-01", "n": 1})
    assert (
        json.loads((tmp_path / "p.json").read_text())
        == json.loads(text)
        == {
            "d": "2001-01-01",
            "n": 1,
        }
    )
