"""`gitops-ml ci best`: the best run made on a commit (what the grid workflow reports)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci import project
from tests.conftest import cli


def test_best_of_the_tagged_runs_on_a_commit(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")  # base-small 0.6, base-big 0.7, untagged
    for lr in ("0.15", "0.25"):
        assert cli(repo, "ci", "train", "-p", f"lr={lr}", "--tag", "grid").returncode == 0
    out = tmp_path / "out"
    out.write_text("")
    summary = tmp_path / "summary.md"
    proc = cli(
        repo,
        "ci",
        "best",
        "--tag",
        "grid",
        "--github-output",
        "best",
        "--summary",
        env={"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("best of 2 runs on ") and "accuracy=0.75" in proc.stdout
    listed = json.loads(cli(repo, "ci", "best", "--tag", "grid", "--json").stdout)
    assert [r["value"] for r in listed] == [0.75, 0.65]
    assert out.read_text() == f"best={listed[0]['id']}\n"
    assert "### gitops-ml grid: 2 runs" in summary.read_text()
    everything = json.loads(cli(repo, "ci", "best", "--json").stdout)
    assert [r["value"] for r in everything] == [0.75, 0.7, 0.65, 0.6]
    assert cli(repo, "ci", "best", "--tag", "nothing").returncode == 1
