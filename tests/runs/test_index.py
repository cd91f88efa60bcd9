"""The local query index (.git/gitops-ml/index.bin) never goes stale."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import cli, cli_json, git, run_ids


def names(repo: Path) -> list[str]:
    return sorted(r["name"] for r in cli_json(repo, "runs", "ls"))


def test_index_refreshes_after_a_plain_git_fetch(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(project), str(other))
    assert cli(other, "run", "-n", "mine", "--", "true").returncode == 0
    assert names(other) == ["mine"]  # index built
    assert (other / ".git" / "gitops-ml" / "index.bin").exists()
    assert (
        cli(
            project, "run", "-n", "theirs", "-p", "lr=0.3", "--", sys.executable, "train.py"
        ).returncode
        == 0
    )
    git(other, "fetch", "-q", "origin", "+refs/runs/*:refs/runs/*")
    assert names(other) == ["mine", "theirs"]
    theirs = next(r for r in cli_json(other, "runs", "ls") if r["name"] == "theirs")
    assert theirs["metrics"]["accuracy"] == 0.97
    # a run ref deleted elsewhere and pruned by fetch leaves the index too
    git(other, "update-ref", "-d", f"refs/runs/{theirs['id']}")
    assert names(other) == ["mine"]


def test_index_sees_new_notes_and_survives_deletion_and_damage(project: Path) -> None:
    assert cli(project, "run", "-n", "a", "--", "true").returncode == 0
    [run_id] = run_ids(project)
    assert cli_json(project, "runs", "ls")[0]["notes"] == []
    # a later fact appended to the run commit's notes with plain git
    git(
        project,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        '{"type":"tag","tag":"prod"}',
        f"refs/runs/{run_id}",
    )
    [row] = cli_json(project, "runs", "ls")
    assert row["notes"] == [{"type": "tag", "tag": "prod"}]
    index = project / ".git" / "gitops-ml" / "index.bin"
    index.write_text("{not an index")
    assert names(project) == ["a"]
    assert index.read_bytes().startswith(b"gitops-ml index ")  # rebuilt
    index.write_bytes(index.read_bytes()[:-40])  # truncated, as by a full disk
    assert names(project) == ["a"]
    index.unlink()
    assert names(project) == ["a"]
    assert index.exists()
