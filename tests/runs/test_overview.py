"""The status page service: counts, best runs (never a non-finite one), failures."""

from __future__ import annotations

import random
from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.runs import index, overview
from tests.conftest import write
from tests.runs.helpers import new_id, record, write_run


def test_best_runs_skip_non_finite_and_failed(project: Path) -> None:
    rng = random.Random(5)
    for i, (acc, code) in enumerate(
        [(0.5, 0), (float("nan"), 0), (0.9, 0), (0.99, 1), (0.7, 0), (True, 0)]
    ):
        run_id = new_id(rng, ms=1_700_000_000_000 + i)
        write_run(
            project, run_id, record(run_id, name=f"r{i}", metrics={"acc": acc}, exit_code=code)
        )
    repo = gitstore.open_repo(project)
    idx = index.load(repo, quiet=True)
    assert [r["name"] for r in overview.best_in_index(idx, "acc")] == ["r2", "r4", "r0"]
    assert [r["name"] for r in overview.best_in_index(idx, "-acc")] == ["r0", "r4", "r2"]
    write(project / "gitops-ml.yaml", "primary: acc\n")
    page = overview.gather(repo)
    assert (page["runs"], page["failed"]) == (6, 1)
    assert page["reproduce_run"] == page["best"][0]["id"]
    assert page["reproduce"] == f"gitops-ml reproduce {page['best'][0]['id']} --verify"
    assert overview.reproduce_command("a b") == "gitops-ml reproduce 'a b' --verify"
