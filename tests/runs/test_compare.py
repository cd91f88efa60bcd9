"""The comparison service behind ``runs diff`` (and the CI report)."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_ml.commands.runs_diff import render_md
from gitops_ml.core import gitstore
from gitops_ml.runs import index
from gitops_ml.runs.compare import changed_metrics, compare
from tests.conftest import cli, run_ids


def test_equal_metrics_are_no_change(project: Path) -> None:
    for name in ("a", "b"):
        assert cli(project, "run", "-n", name, "--", sys.executable, "train.py").returncode == 0
    a, b = run_ids(project)
    repo = gitstore.open_repo(project)
    d = compare(repo, index.full_record(repo, a), index.full_record(repo, b))
    assert [m["delta"] for m in d["metrics"]] == ["+0 (+0.0%)", "+0 (+0.0%)"]
    assert changed_metrics(d) == 0 and d["params"] == [] and d["code"] == []
    md = render_md(d)
    assert "**metrics**: no change (2 the same)" in md and "changed" not in md
    assert "| accuracy | 0.99 | 0.99 | +0 (+0.0%) |" in md  # the values are still shown
    proc = cli(project, "runs", "diff", "--md", a, b)
    assert proc.stdout == md


def test_changed_metrics_are_counted(project: Path) -> None:
    assert cli(project, "run", "--", sys.executable, "train.py").returncode == 0
    assert cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py").returncode == 0
    a, b = run_ids(project)
    md = cli(project, "runs", "diff", "--md", a, b).stdout
    assert "**metrics**: 2 changed" in md and "**params**: 1 changed" in md
