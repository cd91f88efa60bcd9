"""``gitops-ml log``: the branch's history with the runs made on each commit."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, cli_json, git, make_project


def test_log_shows_runs_per_commit_best_first(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p", config="params: params.json\nmetrics: metrics.json\nprimary: -loss\n"
    )
    first = git(repo, "rev-parse", "HEAD").strip()
    for lr in (0.3, 0.1, 0.2, 0.4, 0.5):
        assert cli(repo, "run", "-p", f"lr={lr}", "--", "python", "train.py").returncode == 0
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    proc = cli(repo, "log", "--runs", "2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[1] == "second" and lines[1].split()[1] == "initial"
    assert "5 runs, best -loss first:" in lines[2]
    assert "loss=0.1" in lines[3] and "loss=0.2" in lines[4] and "and 3 more" in lines[5]
    data = cli_json(repo, "log", "--json")
    assert [c["runs"] for c in data] == [0, 5] and data[1]["commit"] == first
    assert cli(repo, "log", "nope").returncode == 2
