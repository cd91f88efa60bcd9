"""runs.migrate called directly: what it counts, and that a second call does nothing."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.runs.migrate import migrate
from tests.core import v01


def test_migrate_counts_and_is_idempotent(project: Path) -> None:
    v01.write_run(project)
    v01.write_run(project)
    repo = gitstore.open_repo(project)
    done = migrate(repo)
    assert (done.runs_v1, done.environments, done.lines, done.notes) == (2, 1, 2, 1)
    again = migrate(repo)
    assert (again.environments, again.lines) == (0, 0)
