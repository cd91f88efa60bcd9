"""The check (ci/check.py, through `ci verify --json`): claimed runs reproduced, retrained,
compared with the base's best."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.ci import project
from tests.ci.project import shared_uv_cache  # noqa: F401 (autouse)
from tests.conftest import cli, git, write


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


def _set_train(repo: Path, command: str) -> None:
    """Replace ci.train in the working tree's gitops-ml.yaml."""
    lines = (repo / "gitops-ml.yaml").read_text().splitlines(keepends=True)
    new = [f"  train: {command}\n" if ln.startswith("  train: ") else ln for ln in lines]
    assert new != lines
    write(repo / "gitops-ml.yaml", "".join(new))


def test_no_claims_and_retrains_that_fail_or_measure_nothing(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    code, result = _verify(repo)
    assert code == 0 and result["claimed"] == [] and result["comparison"] is None
    assert result["notes"] == ["this change claims no runs"]
    _set_train(repo, "python -c 'raise SystemExit(5)'")
    code, result = _verify(repo, "--mode", "retrain")
    assert code == 1 and result["comparison"] is None
    assert result["failures"] == [
        f"retrain {result['retrain']['id']}: the training command exited 5"
    ]
    write(repo / "loss_only.py", "import json\njson.dump({'loss': 1}, open('metrics.json', 'w'))\n")
    _set_train(repo, "python loss_only.py")
    code, result = _verify(repo, "--mode", "retrain")
    assert code == 1 and result["retrain"]["value"] is None
    assert result["failures"] == ["no candidate run recorded the primary metric accuracy"]


def test_without_a_primary_metric_nothing_is_compared(tmp_path: Path) -> None:
    repo = project.make(tmp_path / "p", project.CONFIG.replace("primary: accuracy\n", ""))
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    code, result = _verify(repo, "--mode", "retrain")
    assert code == 0, result["failures"]
    assert result["primary"]["metric"] is None and result["base_best"] is None
    assert result["comparison"] is None and result["trend"] == []
    assert result["notes"] == [
        "no primary metric configured (primary or ci.primary): nothing compared"
    ]
    # no ci.train: a retrain is one line, exit 2, and --out still says why the check failed
    write(repo / "gitops-ml.yaml", "params: params.json\nmetrics: metrics.json\n")
    out = tmp_path / "result.json"
    proc = cli(repo, "ci", "verify", "--base", "main", "--mode", "retrain", "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "gitops-ml: error: retrain needs the training command: set ci.train in gitops-ml.yaml"
    ]
    failed = json.loads(out.read_text())
    assert failed["ok"] is False and failed["mode"] == "retrain"
    assert failed["failures"] == [
        "the check could not run: retrain needs the training command: set ci.train in "
        "gitops-ml.yaml"
    ]


def test_a_base_without_the_primary_metric_compares_nothing(tmp_path: Path) -> None:
    """The base branch (an orphan: none of main's runs) has one run, without metrics."""
    repo = project.make(tmp_path / "p")
    git(repo, "checkout", "-q", "--orphan", "fresh")
    git(repo, "commit", "-q", "-m", "fresh start")
    proc = cli(repo, "run", "-n", "no metrics", "--", "python", "-c", "print(1)")
    assert proc.returncode == 0, proc.stderr
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "params.json", json.dumps({"lr": 0.3, "seed": 1}))
    git(repo, "commit", "-q", "-am", "tune")
    proc = cli(repo, "ci", "verify", "--base", "fresh", "--mode", "retrain", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["base_best"] is None and result["trend"] == []
    assert result["comparison"] == {
        "candidate": result["retrain"]["id"],
        "value": 0.8,
        "base": None,
        "ok": True,
    }
    assert result["notes"] == [
        "the base branch has no run with the primary metric: nothing to compare"
    ]


def test_claims_that_fail_to_reproduce_say_how(tmp_path: Path) -> None:
    """A run whose command is gone (python exits 2, no metrics), a run whose command cannot
    start at all (an error), a run whose metrics hold but whose output differs."""
    repo = project.make(
        tmp_path / "p", project.CONFIG + "verify_outputs: true\noutputs: [out.txt]\n"
    )
    write(repo / ".gitignore", "metrics.json\nboost.txt\nout.txt\n")
    project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    outside = tmp_path / "outside"
    write(outside / "train.py", project.TRAIN)
    tool = write(outside / "tool", "#!/bin/sh\nexec python train.py\n")
    tool.chmod(0o755)
    gone = project.record(repo, "-n", "gone")  # records `python train.py` ...
    proc = cli(repo, "run", "-n", "script gone", "--", "python", str(outside / "train.py"))
    assert proc.returncode == 0, proc.stderr
    proc = cli(repo, "run", "-n", "tool gone", "--", str(tool))
    assert proc.returncode == 0, proc.stderr
    noisy = (
        "import os, runpy; runpy.run_path('train.py');"
        " open('out.txt', 'w').write(os.urandom(8).hex())"
    )
    proc = cli(repo, "run", "-n", "noisy", "--", "python", "-c", noisy)
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(outside)
    code, result = _verify(repo)
    assert code == 1
    by_name = {item["name"]: item for item in result["claimed"]}
    assert by_name["gone"]["status"] == "reproduced" and gone == by_name["gone"]["id"]
    script, tool_run, noisy_run = (by_name[n] for n in ("script gone", "tool gone", "noisy"))
    assert script["status"] == "not reproduced"
    assert (
        f"run {script['id']}: metric accuracy claimed 0.75, the re-run produced none"
        in (result["failures"])
    )
    assert f"run {script['id']}: exit code 2, recorded 0" in result["failures"]
    assert tool_run["status"] == "error" and f"cannot start {str(tool)!r}" in tool_run["error"]
    assert (
        f"run {tool_run['id']}: could not be reproduced: {tool_run['error']}"
        in (result["failures"])
    )
    assert noisy_run["status"] == "not reproduced"
    assert all(c["ok"] for c in noisy_run["checks"])
    assert f"run {noisy_run['id']}: outputs are not identical" in result["failures"]
    assert len(result["failures"]) == 5 and result["comparison"]["candidate"] == gone
