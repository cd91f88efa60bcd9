"""`gitops-ml ci matrix`: the strategy.matrix JSON of ci.grid."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci import project
from tests.ci.project import shared_uv_cache  # noqa: F401 (autouse)
from tests.conftest import cli, write


def test_matrix_of_the_grid(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    proc = cli(repo, "ci", "matrix")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert [j["params"] for j in got["include"]] == [
        "lr=0.1\nseed=1",
        "lr=0.1\nseed=2",
        "lr=0.2\nseed=1",
        "lr=0.2\nseed=2",
    ]
    assert got["include"][3] == {"index": 3, "name": "lr=0.2 seed=2", "params": "lr=0.2\nseed=2"}
    write(repo / "gitops-ml.yaml", project.CONFIG + "  max_jobs: 3\n")
    proc = cli(repo, "ci", "matrix")
    assert proc.returncode == 2 and "max_jobs" in proc.stderr


def test_github_output(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    out = tmp_path / "github_output"
    out.write_text("")
    proc = cli(repo, "ci", "matrix", "--github-output", "matrix", env={"GITHUB_OUTPUT": str(out)})
    assert proc.returncode == 0, proc.stderr
    (line,) = out.read_text().splitlines()
    assert line.startswith("matrix=") and json.loads(line[7:]) == json.loads(proc.stdout)
    bad = cli(repo, "ci", "matrix", "--github-output", "a=b\nc", env={"GITHUB_OUTPUT": str(out)})
    assert bad.returncode == 2 and out.read_text().count("\n") == 1
