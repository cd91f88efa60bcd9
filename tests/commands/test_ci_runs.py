"""`gitops-ml ci runs`: the runs a change claims, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci import project
from tests.ci.project import shared_uv_cache  # noqa: F401 (autouse)
from tests.conftest import cli, git, write


def test_claimed_runs_are_those_of_the_change_newest_first(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    first = project.record(repo, "-n", "mine")
    second = project.record(repo, "-n", "mine again")
    proc = cli(repo, "ci", "runs", "--base", "main", "--head", "feature", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert [r["id"] for r in got] == [second, first]
    assert got[0]["claim"].startswith("made on ")
    capped = json.loads(cli(repo, "ci", "runs", "--base", "main", "--max", "1", "--json").stdout)
    assert [r["id"] for r in capped] == [second]
    # a run with the head's exact code, made before the commit, is claimed too
    git(repo, "checkout", "-q", "-b", "later", "main")
    write(repo / "params.json", json.dumps({"lr": 0.35, "seed": 1}))
    uncommitted = project.record(repo, "-n", "before commit")
    git(repo, "commit", "-q", "-am", "commit the code of the run")
    got = json.loads(cli(repo, "ci", "runs", "--base", "main", "--json").stdout)
    assert [(r["id"], r["claim"]) for r in got] == [(uncommitted, "same code as the head")]
    assert cli(repo, "ci", "runs", "--base", "nope").returncode == 2


def test_table_pull_request_event_and_usage_errors(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    base = git(repo, "rev-parse", "main").strip()
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    proc = cli(repo, "ci", "runs", "--base", "main")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "this change claims no runs\n"
    run = project.record(repo, "-n", "mine")
    head = git(repo, "rev-parse", "feature").strip()
    git(repo, "checkout", "-q", "main")  # HEAD is not the change: the event names it
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 7,
                    "head": {"sha": head, "repo": {"full_name": "acme/ml"}},
                    "base": {"sha": base, "repo": {"full_name": "acme/ml"}},
                },
                "repository": {"full_name": "acme/ml"},
            }
        )
    )
    proc = cli(repo, "ci", "runs", env={"GITHUB_EVENT_PATH": str(event)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["run", "name", "why", "accuracy"]
    assert lines[1].split() == [run, "mine", "made", "on", head[:12], "0.75"]
    assert len(lines) == 2
    # --base given: the event still supplies the head
    proc = cli(
        repo, "ci", "runs", "--base", "main", "--json", env={"GITHUB_EVENT_PATH": str(event)}
    )
    assert [r["id"] for r in json.loads(proc.stdout)] == [run]
    for args, words in (
        ((), "--base REV is needed (no pull request event to take it from)"),
        (("--base", "main", "--max", "0"), "--max must be 1 or more"),
    ):
        proc = cli(repo, "ci", "runs", *args)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
