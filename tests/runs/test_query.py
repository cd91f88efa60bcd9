"""``--where`` and ``--sort`` over real recorded runs, through ``gitops-ml runs ls --json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, cli_json

LRS = (0.1, 0.3, 0.5, 0.9)  # accuracy = 1 - lr/10: 0.99, 0.97, 0.95, 0.91


@pytest.fixture
def runs(project: Path) -> Path:
    for lr in LRS:
        tags = ["-t", "best"] if lr == 0.1 else []
        proc = cli(
            project,
            "run",
            "-n",
            f"lr{lr}",
            *tags,
            "-p",
            f"lr={lr}",
            "--",
            sys.executable,
            "train.py",
        )
        assert proc.returncode == 0, proc.stderr
    # a failed run with no metrics file of its own
    proc = cli(project, "run", "-n", "broken", "--", sys.executable, "-c", "raise SystemExit(4)")
    assert proc.returncode == 4
    return project


def lrs(repo: Path, *args: str) -> list[object]:
    return [
        r["params"].get("lr") if r["name"] != "broken" else "broken"
        for r in cli_json(repo, "runs", "ls", *args)
    ]


def test_where_sort_limit(runs: Path) -> None:
    assert lrs(
        runs, "--where", "metrics.accuracy>=0.96 and params.lr<0.5", "--sort", "params.lr"
    ) == [0.1, 0.3]
    assert lrs(
        runs, "--where", "metrics.accuracy >= 0.96 or name == 'lr0.9'", "--sort", "-params.lr"
    ) == [0.9, 0.3, 0.1]
    assert lrs(runs, "--where", "'best' in tags") == [0.1]
    assert lrs(runs, "--where", "exit_code != 0") == ["broken"]
    assert lrs(runs, "--where", "not exit_code", "--sort", "params.lr") == [0.1, 0.3, 0.5, 0.9]
    assert lrs(runs, "--where", "params['lr'] == 0.5") == [0.5]
    assert lrs(runs, "--where", "metrics.nope > 1") == []  # a missing key compares false
    # sorting: descending accuracy; runs missing the key last; --limit
    assert lrs(runs, "--sort", "-metrics.accuracy") == [0.1, 0.3, 0.5, 0.9, "broken"]
    assert lrs(runs, "--sort", "metrics.accuracy") == [0.9, 0.5, 0.3, 0.1, "broken"]
    assert lrs(runs, "--sort", "-metrics.accuracy", "--limit", "2") == [0.1, 0.3]
    assert lrs(runs, "--limit", "0") == []
    # default order: newest first
    assert lrs(runs) == ["broken", 0.9, 0.5, 0.3, 0.1]


@pytest.mark.parametrize(
    "where",
    [
        "metrics.accuracy >",
        "__import__('os').system('touch pwned')",
        "metrics.accuracy + 1 > 2",
        "lambda: 1",
    ],
)
def test_bad_where_is_one_line_exit_2(project: Path, where: str) -> None:
    proc = cli(project, "runs", "ls", "--where", where)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--where" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "pwned").exists()


def test_json_rows_are_records(runs: Path) -> None:
    rows = cli_json(runs, "runs", "ls", "--where", "name == 'lr0.5'")
    [row] = rows
    assert row["metrics"] == {"accuracy": 0.95, "loss": 0.5}
    assert row["status"] == "ok" and row["notes"] == []
    assert row["git"]["snapshot"] and json.dumps(row)
