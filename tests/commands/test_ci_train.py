"""`gitops-ml ci train`: a run of ci.train (or --command) with params, as a grid job records it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci import project
from tests.conftest import cli, run_ids, write


def _show(repo: Path, run_id: str) -> dict:
    return json.loads(cli(repo, "runs", "show", run_id, "--json").stdout)


def test_params_lines_name_tags_isolated(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    before = set(run_ids(repo))
    proc = cli(
        repo,
        "ci",
        "train",
        "--isolated",
        "--params-lines",
        "lr=0.2\n\nseed=7\n",
        "--name",
        "grid 1",
        "--tag",
        "grid",
    )
    assert proc.returncode == 0, proc.stderr
    (new,) = set(run_ids(repo)) - before
    rec = _show(repo, new)
    assert rec["params"]["lr"] == 0.2 and rec["params"]["seed"] == 7
    assert rec["metrics"]["accuracy"] == 0.7 and rec["tags"] == ["grid"]
    assert rec["command"] == ["python", "train.py"] and rec["isolated"] is True


def test_command_instead_of_ci_train_is_never_run_by_a_shell(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    before = set(run_ids(repo))
    cli(repo, "ci", "train", "--command", "python -c 'print(1)' ; touch pwned")
    (new,) = set(run_ids(repo)) - before
    assert _show(repo, new)["command"] == ["python", "-c", "print(1)", ";", "touch", "pwned"]
    assert not (repo / "pwned").exists()


def test_no_training_command(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    write(repo / "gitops-ml.yaml", project.CONFIG.replace("  train: python train.py\n", ""))
    proc = cli(repo, "ci", "train")
    assert proc.returncode == 2 and "ci.train" in proc.stderr
