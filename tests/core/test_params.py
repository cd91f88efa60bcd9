"""Params files and ``-p`` values through the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, git, make_project, run_ids, write


def record(repo: Path, run_id: str) -> dict:
    return json.loads(
        git(repo, "log", "-1", "--format=%B", f"refs/runs/{run_id}").partition("\n\n")[2]
    )


def test_malformed_json_params_file_names_file_and_line(project: Path) -> None:
    (project / "params.json").write_text('{\n  "lr": 0.1,\n  "seed": \n}\n')
    proc = cli(project, "run", "--", sys.executable, "train.py")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(
        "gitops-ml: error: params.json:4:"
    ), proc.stderr
    assert run_ids(project) == []


def test_malformed_yaml_params_file_names_file_and_line(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.yaml\n")
    write(repo / "params.yaml", "lr: 0.1\nlayers: [1, 2\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "params.yaml:3:" in proc.stderr, proc.stderr
    write(repo / "params.yaml", "- 1\n- 2\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2 and "params.yaml: must hold a mapping" in proc.stderr


@pytest.mark.parametrize("bad", ["lr", "=3", " =1"])
def test_bad_p_is_exit_2(project: Path, bad: str) -> None:
    proc = cli(project, "run", "-p", bad, "--", "true")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "-p" in proc.stderr and "KEY=VALUE" in proc.stderr
    assert run_ids(project) == []


def test_p_value_types(project: Path) -> None:
    proc = cli(
        project,
        "run",
        "-p",
        "lr=1e-3",
        "-p",
        "+flag=true",
        "-p",
        "+name=resnet",
        "-p",
        "+n=7",
        "-p",
        "+empty=",
        "-p",
        "+eq=a=b",
        "--",
        "true",
    )
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(project)
    params = record(project, run_id)["params"]
    assert params["lr"] == 1e-3 and params["flag"] is True and params["name"] == "resnet"
    assert params["n"] == 7 and params["eq"] == "a=b"


def test_p_without_a_params_file_is_recorded(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="metrics: metrics.json\n")
    assert cli(repo, "run", "-p", "lr=0.5", "--", "true").returncode == 0
    [run_id] = run_ids(repo)
    assert record(repo, run_id)["params"] == {"lr": 0.5}
