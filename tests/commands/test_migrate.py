"""``gitops-ml migrate``: a 0.1 repository to contract v2, twice (the second changes nothing)."""

from __future__ import annotations

import json
from pathlib import Path

from blake3 import blake3

from tests.conftest import cli, cli_json, git
from tests.core import v01


def test_migrate_twice(project: Path) -> None:
    env_a = v01.environment(dists={"numpy": "1.26.4"})
    env_b = v01.environment(dists={"numpy": "2.0.0"})
    old = [v01.write_run(project, env=e) for e in (env_a, env_a, env_b)]
    head = git(project, "rev-parse", "HEAD").strip()
    # a later fact on an old run stays; the base-commit lines go
    commit = git(project, "rev-parse", f"refs/runs/{old[0]}").strip()
    git(project, "notes", "--ref=gitops-ml", "append", "-m", '{"type":"tag","tag":"x"}', commit)
    runs_before = git(project, "for-each-ref", "refs/runs/")
    proc = cli(project, "migrate")
    assert proc.returncode == 0, proc.stderr
    assert (
        "3 runs of 0.1; 2 environments" in proc.stdout and "3 obsolete notes lines" in proc.stdout
    )
    assert git(project, "for-each-ref", "refs/runs/") == runs_before  # nothing immutable moved
    assert git(project, "notes", "--ref=gitops-ml", "list", head, check=False) == ""
    assert '"tag":"x"' in git(project, "notes", "--ref=gitops-ml", "show", commit)
    names = git(project, "ls-tree", "--name-only", "refs/gitops-ml/environments").split()
    for name in names:
        data = git(project, "cat-file", "blob", f"refs/gitops-ml/environments:{name}")
        assert blake3(data.encode()).hexdigest() + ".json" == name
    assert {
        json.loads(git(project, "cat-file", "blob", f"refs/gitops-ml/environments:{n}"))[
            "distributions"
        ]["numpy"]
        for n in names
    } == {"1.26.4", "2.0.0"}
    envs_tip = git(project, "rev-parse", "refs/gitops-ml/environments")
    notes_tip = git(project, "rev-parse", "refs/notes/gitops-ml")
    again = cli(project, "migrate")
    assert again.returncode == 0 and "nothing to migrate" in again.stdout
    assert git(project, "rev-parse", "refs/gitops-ml/environments") == envs_tip
    assert git(project, "rev-parse", "refs/notes/gitops-ml") == notes_tip
    # the 0.1 runs still read, with their inline environments
    shown = cli_json(project, "runs", "show", old[2], "--json")
    assert shown["environment"]["distributions"] == {"numpy": "2.0.0"}
    # a v2 run in the same environment as a migrated one would share its file
    assert len(cli_json(project, "runs", "ls", "--json")) == 3


def test_migrate_archives_run_refs_past_the_threshold(project: Path) -> None:
    """A 0.1 repository kept every run as a ref: migrate archives them as recording would,
    rather than leaving it to the next run; every id still resolves."""
    old = [v01.write_run(project, env=v01.environment()) for _ in range(3)]
    env = {"GITOPS_ML_COMPACT_ABOVE": "2"}
    proc = cli(project, "migrate", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "3 run refs moved into refs/gitops-ml/archive" in proc.stdout
    assert git(project, "for-each-ref", "refs/runs/") == ""
    assert sorted(r["id"] for r in cli_json(project, "runs", "ls", "--json")) == sorted(old)
    again = cli(project, "migrate", env=env)
    assert "nothing to migrate" in again.stdout
