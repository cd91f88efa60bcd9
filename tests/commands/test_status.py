"""gitops-ml status: the newcomer's page."""

from __future__ import annotations

import json
from pathlib import Path

from gitops_ml.core import gitstore
from tests.conftest import cli, cli_json, git, make_project, run_ids, write


def _runs(repo: Path, *lrs: float) -> list[str]:
    for lr in lrs:
        cli(repo, "run", "-p", f"lr={lr}", "--", "python", "train.py")
    return run_ids(repo)


def test_empty_project(project: Path) -> None:
    proc = cli(project, "status")
    assert proc.returncode == 0
    assert "No runs yet. Record one: gitops-ml run -- python train.py" in proc.stdout
    assert "Deployed: nothing yet (no refs/deploy/*" in proc.stdout
    assert "git remote add origin URL && gitops-ml sync" in proc.stdout


def test_best_failed_deployed_verification(project: Path, bare_remote: Path) -> None:
    git(project, "remote", "add", "origin", str(bare_remote))
    _runs(project, 0.5, 0.1, 0.3)
    write(project / "params.json", json.dumps({"lr": 0.2, "exit": 1}))
    cli(project, "run", "--", "python", "train.py")
    ids = run_ids(project)
    best = ids[1]  # lr=0.1 -> accuracy 0.99
    repo = gitstore.open_repo(project)
    run_commit = git(project, "rev-parse", f"refs/runs/{ids[0]}").strip()
    gitstore.append_notes(
        repo,
        {
            run_commit: json.dumps(
                {"type": "verify", "ok": False, "by": ids[2], "metrics": ["accuracy"]}
            )
        },
        "verify",
    )
    tree = git(project, "hash-object", "-t", "tree", "-w", "--stdin", input="").strip()
    deploy = git(
        project,
        "commit-tree",
        tree,
        "-m",
        f"deploy prod\n\n{json.dumps({'run': best, 'environment': 'prod'})}",
    ).strip()
    git(project, "update-ref", "refs/deploy/prod", deploy)

    page = cli_json(project, "status")
    assert (page["runs"], page["failed"]) == (4, 1)
    assert page["by_user"] == {"author@example.com": 4}
    assert [b["id"] for b in page["best"]] == [ids[1], ids[2], ids[0]]
    assert page["best"][0]["metric"] == 0.99
    assert page["reproduce"] == f"gitops-ml reproduce {best} --verify"
    assert [(d["environment"], d["run"], d["deploys"]) for d in page["deployed"]] == [
        ("prod", best, 1)
    ]
    assert [f["run"] for f in page["verification_failures"]] == [ids[0]]
    assert page["sync"] == "gitops-ml sync"

    text = cli(project, "status").stdout
    assert "Runs: 4 (3 ok, 1 failed), by 1 person: author@example.com (4)" in text
    assert "Best runs by accuracy (higher is better)" in text
    assert f"prod: run {best} (1 deploy in the chain" in text
    assert f"{ids[0]} (checked by run {ids[2]})" in text
    assert f"gitops-ml reproduce {best} --verify" in text


def test_lower_is_better_and_no_primary(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p", config="params: params.json\nmetrics: metrics.json\nprimary: -loss\n"
    )
    ids = _runs(repo, 0.5, 0.1, 0.3)
    page = cli_json(repo, "status")
    assert [b["id"] for b in page["best"]] == [ids[1], ids[2], ids[0]]
    assert "Best runs by loss (lower is better)" in cli(repo, "status").stdout
    write(repo / "gitops-ml.yaml", "params: params.json\nmetrics: metrics.json\n")
    text = cli(repo, "status").stdout
    assert "no primary metric; set 'primary:' in gitops-ml.yaml" in text
    assert f"Reproduce the latest successful run:\n  gitops-ml reproduce {ids[2]} --verify" in text


def test_broken_config_is_one_line(project: Path) -> None:
    write(project / "gitops-ml.yaml", "primary: [\n")
    proc = cli(project, "status")
    assert proc.returncode == 2
    assert proc.stderr.startswith("gitops-ml: error: gitops-ml.yaml:2: not valid YAML")
