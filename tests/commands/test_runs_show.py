"""``gitops-ml runs show RUN [--json]``: prefixes, unknown/ambiguous ids, a corrupt record."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.commands.test_runs_ls import CORRUPT_ID, add_corrupt_run
from tests.conftest import cli, cli_json, run_ids


def test_show_by_any_unique_prefix(project: Path) -> None:
    assert (
        cli(
            project, "run", "-n", "one", "-t", "x", "-p", "lr=0.2", "--", sys.executable, "train.py"
        ).returncode
        == 0
    )
    assert cli(project, "run", "-n", "two", "--", "true").returncode == 0
    first, second = run_ids(project)
    common = next(i for i in range(26) if first[i] != second[i])
    prefix = first[: common + 1]
    for spelled in (prefix, prefix.lower(), first, first.lower()):
        proc = cli(project, "runs", "show", spelled)
        assert proc.returncode == 0, (spelled, proc.stderr)
        assert proc.stdout.splitlines()[0] == f"run       {first}  (one)"
        assert "lr = 0.2" in proc.stdout and "accuracy = 0.98" in proc.stdout
        assert "tags      x" in proc.stdout
    rec = cli_json(project, "runs", "show", prefix.lower())
    assert rec["id"] == first and rec["params"]["lr"] == 0.2
    assert "pytest" in rec["environment"]["distributions"]  # the full record
    # ambiguous and unknown: one line, exit 2
    for bad, words in (
        (first[:common], "ambiguous"),
        ("7ZZZZ", "no run matches"),
        ("not-an-id!", "not a run id"),
    ):
        proc = cli(project, "runs", "show", bad)
        assert proc.returncode == 2, bad
        assert proc.stderr.count("\n") == 1 and words in proc.stderr, proc.stderr
        assert proc.stdout == ""


def test_corrupt_record_exits_3_with_one_line(project: Path) -> None:
    add_corrupt_run(project)
    proc = cli(project, "runs", "show", CORRUPT_ID[:12])
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and CORRUPT_ID in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
