"""`gitops-ml ci verify` from the command line: bad settings, a check that cannot run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci import project
from tests.ci.project import shared_uv_cache  # noqa: F401 (autouse)
from tests.conftest import cli, write


def test_bad_ci_settings_are_one_line_with_the_line_number(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    write(repo / "gitops-ml.yaml", project.CONFIG + "  allowed_regression: lots\n")
    proc = cli(repo, "ci", "verify", "--base", "main")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "ci.allowed_regression" in proc.stderr
    assert "gitops-ml.yaml:" in proc.stderr


def test_a_check_that_cannot_run_still_leaves_a_failing_result(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    out = tmp_path / "result.json"
    proc = cli(repo, "ci", "verify", "--base", "main", "--mode", "retrain", "--out", str(out))
    assert proc.returncode == 0  # ci.train is set: retrain works
    write(repo / "gitops-ml.yaml", project.CONFIG.replace("  train: python train.py\n", ""))
    proc = cli(repo, "ci", "verify", "--base", "main", "--mode", "retrain", "--out", str(out))
    assert proc.returncode == 2 and "ci.train" in proc.stderr
    result = json.loads(out.read_text())
    assert result["ok"] is False
    assert result["failures"] == [
        "the check could not run: retrain needs the training command: set ci.train in gitops-ml.yaml"
    ]
    md = cli(repo, "ci", "report", "--input", str(out))
    assert md.returncode == 0 and "check failed" in md.stdout
