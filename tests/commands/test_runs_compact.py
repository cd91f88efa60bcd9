"""``gitops-ml runs compact``: exit codes and output (the archive itself: tests/core)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, git


def test_compact_output_and_bad_keep(project: Path) -> None:
    assert cli(project, "run", "--", "true").returncode == 0
    proc = cli(project, "runs", "compact")
    assert proc.returncode == 0 and "1 runs moved into refs/gitops-ml/archive" in proc.stdout
    assert git(project, "for-each-ref", "refs/runs/") == ""
    bad = cli(project, "runs", "compact", "--keep", "-1")
    assert bad.returncode == 2 and "--keep" in bad.stderr
