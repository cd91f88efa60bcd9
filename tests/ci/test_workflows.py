"""`gitops-ml init --github`: the caller workflows, pointed where asked, never overwritten."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import cli


def test_init_github_writes_the_callers_once(project: Path) -> None:
    proc = cli(project, "init", "--github")
    assert proc.returncode == 0, proc.stderr
    flows = project / ".github" / "workflows"
    names = sorted(p.name for p in flows.iterdir())
    assert names == [
        "gitops-ml-comment.yml",
        "gitops-ml-deploy.yml",
        "gitops-ml-grid.yml",
        "gitops-ml.yml",
    ]
    pr = yaml.safe_load((flows / "gitops-ml.yml").read_text())
    assert pr["jobs"]["ml"]["uses"] == "gitops-ml/gitops-ml/.github/workflows/pr-check.yml@v1"
    assert pr[True] == {"pull_request": None}  # YAML 1.1 reads the key `on` as True
    assert pr["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "statuses": "write",
    }
    (flows / "gitops-ml.yml").write_text("# mine\n")
    again = cli(
        project, "init", "--github", "--github-repo", "acme/gitops-ml", "--github-ref", "abc123"
    )
    assert again.returncode == 0 and "wrote" not in again.stdout
    assert (flows / "gitops-ml.yml").read_text() == "# mine\n"


def test_init_github_points_at_a_fork_or_a_commit(project: Path) -> None:
    proc = cli(
        project, "init", "--github", "--github-repo", "acme/gitops-ml", "--github-ref", "0123abc"
    )
    assert proc.returncode == 0, proc.stderr
    grid = (project / ".github" / "workflows" / "gitops-ml-grid.yml").read_text()
    assert "uses: acme/gitops-ml/.github/workflows/grid.yml@0123abc\n" in grid
    bad = cli(project, "init", "--github", "--github-repo", "not a repo")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
