"""``gitops-ml runs diff A B [--json|--md]``."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import cli, cli_json, make_project, run_ids, write


def test_diff_params_metrics_code_data_environment(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p", config="params: params.json\nmetrics: metrics.json\ndata: data.csv\n"
    )
    write(repo / "data.csv", "x\n1\n")
    assert cli(repo, "run", "-p", "lr=0.2", "--", sys.executable, "train.py").returncode == 0
    write(repo / "data.csv", "x\n1\n2\n")
    write(repo / "train.py", (repo / "train.py").read_text() + "# tweak\n# two\n")
    write(repo / "new file.py", "print(1)\n")
    write(repo / "uv.lock", "lock\n")  # a lockfile appears: the environment changes
    assert cli(repo, "run", "-p", "lr=0.4", "--", sys.executable, "train.py").returncode == 0
    a, b = run_ids(repo)

    d = cli_json(repo, "runs", "diff", a[:12].lower(), b[:12])
    assert d["a"] == a and d["b"] == b
    assert d["params"] == [{"key": "lr", "a": 0.2, "b": 0.4}]
    metrics = {m["key"]: m for m in d["metrics"]}
    assert metrics["accuracy"]["a"] == 0.98 and metrics["accuracy"]["b"] == 0.96
    assert metrics["accuracy"]["delta"].startswith("-0.02")
    assert metrics["loss"]["delta"].startswith("+0.2 (+100.0%)")
    code = {c["path"]: (c["added"], c["deleted"]) for c in d["code"]}
    assert (
        code["train.py"] == (2, 0) and code["new file.py"] == (1, 0) and code["params.json"][0] >= 1
    )
    assert "data.csv" not in code  # data is recorded by hash, not in the snapshot
    [data] = d["data"]
    assert data["path"] == "data.csv" and data["a"] != data["b"]
    env_keys = {e["key"] for e in d["environment"]}
    assert "lockfile" in env_keys  # (v2: the fingerprint names the installed environment)

    md = cli(repo, "runs", "diff", a, b, "--md")
    assert md.returncode == 0
    assert md.stdout.startswith(f"### Runs `{a}` vs `{b}`")
    assert "| lr | 0.2 | 0.4 |" in md.stdout and "| train.py | 2 | 0 |" in md.stdout

    term = cli(repo, "runs", "diff", a, b)
    assert term.returncode == 0 and "accuracy" in term.stdout and "train.py" in term.stdout


def test_diff_of_unknown_run_is_exit_2(project: Path) -> None:
    assert cli(project, "run", "--", "true").returncode == 0
    [a] = run_ids(project)
    proc = cli(project, "runs", "diff", a, "7ZZZ")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    proc = cli(project, "runs", "diff", a, a, "--json", "--md")
    assert proc.returncode == 2
