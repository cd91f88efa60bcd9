"""The GitHub Deployment of a deploy: created, in_progress, then success or failure (the
real github3.py client against the loopback GitHub API stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import cli
from tests.deploy.helpers import history, model_project, record
from tests.github.fake_api import FakeGitHub

TOKEN = "ghs_deployTESTtoken_0123456789abcdef"


def _env(server: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/ml",
        "GITHUB_API_URL": server.url,
        "GITHUB_SHA": "a" * 40,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "77",
    }


def test_deployment_and_its_statuses(tmp_path: Path) -> None:
    root = model_project(
        tmp_path / "p",
        "deploy:\n  production:\n    target: command\n    command: [python, ship.py]\n",
    )
    (root / "ship.py").write_text(
        "import pathlib, sys\nsys.exit(int(pathlib.Path('fail').exists()))\n"
    )
    run, other = record(root, 0.1), record(root, 0.2)
    with FakeGitHub(TOKEN) as server:
        proc = cli(root, "deploy", "production", run, env=_env(server))
        assert proc.returncode == 0, proc.stderr
        (root / "fail").write_text("")
        assert cli(root, "deploy", "production", other, env=_env(server)).returncode == 1
        # the job's environment: makes GitHub create the deployment: ours is switched off
        proc = cli(
            root, "deploy", "production", run, "--github-deployment", "false", env=_env(server)
        )
        assert proc.returncode == 1  # the target still fails; no GitHub call was made
        deps = list(server.deployments.values())
    assert [(d["environment"], d["ref"], d["payload"]["run"]) for d in deps] == [
        ("production", "a" * 40, run),
        ("production", "a" * 40, other),
    ]
    assert [[s["state"] for s in d["_statuses"]] for d in deps] == [
        ["in_progress", "success"],
        ["in_progress", "failure"],
    ]
    assert deps[0]["_statuses"][1]["target_url"] == "https://github.example/acme/ml/actions/runs/77"
    assert all(r["authorized"] for r in server.requests)
    events = list(reversed(history(root, "production")))
    assert events[0]["github_deployment"]["id"] == deps[0]["id"]
    assert events[0]["ci"]["run_url"] == "https://github.example/acme/ml/actions/runs/77"
    assert "github_deployment" not in events[2]


@pytest.mark.parametrize("deny", ["deployment"])
def test_missing_permission_is_one_line_naming_it(tmp_path: Path, deny: str) -> None:
    root = model_project(tmp_path / "p")
    run = record(root, 0.1)
    with FakeGitHub(TOKEN, deny=(deny,)) as server:
        proc = cli(root, "deploy", "production", run, env=_env(server))
    assert proc.returncode == 3
    assert "deployments: write" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert TOKEN not in proc.stderr
    assert history(root, "production") == []  # refused before anything was recorded
