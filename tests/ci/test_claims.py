"""Which runs a change claims; the base branch's runs (in-process, on real repositories)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_ml.ci import claims
from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError
from tests.ci import project
from tests.conftest import cli, git, write


def test_made_on_the_change_newest_first_capped(tmp_path: Path) -> None:
    repo_dir = project.make(tmp_path / "p")
    project.branch(repo_dir, "feature", {"lr": 0.25, "seed": 1})
    a = project.record(repo_dir, "-n", "a")
    b = project.record(repo_dir, "-n", "b")
    repo = gitstore.open_repo(repo_dir)
    got = claims.claimed(repo, "main", "feature", 10)
    assert [r["id"] for r in got] == [b, a]
    assert all(r["claim"].startswith("made on ") for r in got)
    assert [r["id"] for r in claims.claimed(repo, "main", "feature", 1)] == [b]


def test_reproductions_and_ci_retrains_are_never_claims(tmp_path: Path) -> None:
    repo_dir = project.make(tmp_path / "p")
    project.branch(repo_dir, "feature", {"lr": 0.25, "seed": 1})
    mine = project.record(repo_dir, "-n", "mine")
    assert cli(repo_dir, "reproduce", mine).returncode == 0
    project.record(repo_dir, "-t", "ci")
    repo = gitstore.open_repo(repo_dir)
    assert [r["id"] for r in claims.claimed(repo, "main", "HEAD", 10)] == [mine]


def test_same_tree_as_the_head(tmp_path: Path) -> None:
    repo_dir = project.make(tmp_path / "p")
    git(repo_dir, "checkout", "-q", "-b", "later")
    write(repo_dir / "params.json", json.dumps({"lr": 0.35, "seed": 1}))
    before = project.record(repo_dir, "-n", "before commit")
    git(repo_dir, "commit", "-q", "-am", "the code of the run")
    got = claims.claimed(gitstore.open_repo(repo_dir), "main", "HEAD", 10)
    assert [(r["id"], r["claim"]) for r in got] == [(before, "same code as the head")]


def test_base_runs_are_the_successful_originals_reachable_from_base(tmp_path: Path) -> None:
    repo_dir = project.make(tmp_path / "p")  # two runs on main
    cli(repo_dir, "run", "--", "python", "-c", "raise SystemExit(3)")  # failed: left out
    project.record(repo_dir, "-t", "ci")  # a CI retrain: left out
    project.branch(repo_dir, "feature", {"lr": 0.25, "seed": 1})
    project.record(repo_dir, "-n", "on the branch")  # not on the base
    names = [r["name"] for r in claims.base_runs(gitstore.open_repo(repo_dir), "main")]
    assert names == ["base-small", "base-big"]


def test_a_revision_that_names_no_commit(tmp_path: Path) -> None:
    repo = gitstore.open_repo(project.make(tmp_path / "p"))
    for bad in ("nope", "--all", "main:train.py"):
        with pytest.raises(UsageError):
            claims.rev(repo, bad)
