"""``gitops-ml runs ls``: the table, --here, an empty repository, a corrupt record."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import cli, cli_json, git, make_project, run_ids

CORRUPT_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def add_corrupt_run(repo: Path) -> None:
    """A ref under refs/runs/ pointing at a commit whose message is not a record."""
    tree = git(repo, "hash-object", "-t", "tree", "/dev/null", "-w").strip()
    commit = git(repo, "commit-tree", tree, "-m", "just a commit\n\nnot json").strip()
    git(repo, "update-ref", f"refs/runs/{CORRUPT_ID}", commit)


def test_table(project: Path) -> None:
    for lr in (0.1, 0.7):
        assert (
            cli(
                project, "run", "-n", f"n{lr}", "-p", f"lr={lr}", "--", sys.executable, "train.py"
            ).returncode
            == 0
        )
    proc = cli(project, "runs", "ls", "--sort", "-metrics.accuracy")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == [
        "run",
        "name",
        "started",
        "status",
        "lr",
        "seed",
        "accuracy",
        "loss",
    ]
    ids = run_ids(project)
    assert lines[1].split()[0] == ids[0][:10] and "n0.1" in lines[1] and "0.99" in lines[1]
    assert lines[2].split()[0] == ids[1][:10] and "0.93" in lines[2]


def test_empty_repositories(tmp_path: Path) -> None:
    unborn = make_project(tmp_path / "unborn", commit=False)
    for repo in (unborn, make_project(tmp_path / "committed")):
        proc = cli(repo, "runs", "ls")
        assert proc.returncode == 0 and proc.stderr == ""
        assert proc.stdout.startswith("no runs yet")
        assert cli_json(repo, "runs", "ls") == []
        assert cli_json(repo, "runs", "ls", "--here") == []


def test_here_narrows_to_head(project: Path) -> None:
    assert cli(project, "run", "-n", "old", "--", "true").returncode == 0
    git(project, "commit", "-q", "--allow-empty", "-m", "next")
    assert cli(project, "run", "-n", "new", "--", "true").returncode == 0
    assert [r["name"] for r in cli_json(project, "runs", "ls")] == ["new", "old"]
    assert [r["name"] for r in cli_json(project, "runs", "ls", "--here")] == ["new"]


def test_corrupt_record_is_skipped_with_one_warning(project: Path) -> None:
    assert cli(project, "run", "-n", "good", "--", "true").returncode == 0
    add_corrupt_run(project)
    proc = cli(project, "runs", "ls")
    assert proc.returncode == 0
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 1 and CORRUPT_ID in warnings[0] and "warning" in warnings[0]
    assert "good" in proc.stdout and CORRUPT_ID[:10] not in proc.stdout
    proc = cli(project, "runs", "ls", "--json")
    assert [r["name"] for r in __import__("json").loads(proc.stdout)] == ["good"]
    assert proc.stderr.count("\n") == 1
