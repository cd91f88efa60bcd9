"""The check (ci/check.py, through `ci verify --json`): claimed runs reproduced, retrained,
compared with the base's best."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ci import project
from tests.ci.project import shared_uv_cache  # noqa: F401 (autouse)
from tests.conftest import cli, write


def _verify(repo: Path, *args: str) -> tuple[int, dict]:
    proc = cli(repo, "ci", "verify", "--base", "main", "--head", "HEAD", "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_a_claimed_run_that_reproduces_passes(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    run = project.record(repo, "-n", "better")
    code, result = _verify(repo)
    assert code == 0, result["failures"]
    (item,) = result["claimed"]
    assert (item["id"], item["status"], item["value"]) == (run, "reproduced", 0.75)
    assert result["base_best"]["value"] == 0.7
    assert result["comparison"]["ok"] and result["comparison"]["delta"] == pytest.approx(0.05)
    assert [t["value"] for t in result["trend"]] == [0.6, 0.7]


def test_a_false_claim_fails_naming_the_metric_and_the_gap(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.2, "seed": 1})
    write(repo / "boost.txt", "0.15")  # the local file that made the number look good
    run = project.record(repo, "-n", "too good")
    (repo / "boost.txt").unlink()
    code, result = _verify(repo)
    assert code == 1
    assert result["claimed"][0]["status"] == "not reproduced"
    assert any(
        f.startswith(f"run {run}: metric accuracy claimed 0.85, reproduced 0.7 (-0.15")
        for f in result["failures"]
    ), result["failures"]
    md = cli(repo, "ci", "verify", "--base", "main", "--md").stdout
    assert "check failed" in md and "metric accuracy claimed 0.85, reproduced 0.7" in md


def test_a_retrain_worse_than_the_base_best_fails(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    worse = project.TRAIN.replace('p["lr"] * p.get("gain", 1)', 'p["lr"] * 0.5')
    project.branch(repo, "feature", train=worse)
    code, result = _verify(repo, "--mode", "retrain")
    assert code == 1
    retrain = result["retrain"]
    assert retrain["value"] == 0.55 and retrain["exit_code"] == 0
    assert result["comparison"]["ok"] is False
    (failure,) = result["failures"]
    assert "accuracy 0.55" in failure and "best 0.7" in failure and "by 0.15" in failure
    # the retrain is a recorded run tagged ci, which is never itself a claim
    rec = json.loads(cli(repo, "runs", "show", retrain["id"], "--json").stdout)
    assert "ci" in rec["tags"]
    assert json.loads(cli(repo, "ci", "runs", "--base", "main", "--json").stdout) == []


def test_within_the_allowed_regression_passes(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    slightly = project.TRAIN.replace('p["lr"] * p.get("gain", 1)', "0.195")
    project.branch(repo, "feature", train=slightly)
    code, result = _verify(repo, "--mode", "retrain")
    assert code == 0, result["failures"]
    assert result["comparison"]["delta"] == pytest.approx(-0.005)


def test_a_claimed_run_without_metrics_is_unverifiable(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    proc = cli(repo, "run", "-n", "no metrics", "--", "python", "-c", "print(1)")
    assert proc.returncode == 0, proc.stderr
    code, result = _verify(repo)
    assert code == 1 and result["claimed"][0]["status"] == "unverifiable"
    assert "unverifiable" in result["failures"][0]
    cfg = (repo / "gitops-ml.yaml").read_text() + "  unverifiable: pass\n"
    write(repo / "gitops-ml.yaml", cfg)
    code, result = _verify(repo)
    assert code == 0 and result["failures"] == []
