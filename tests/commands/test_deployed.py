"""`gitops-ml deployed [ENV]`: what is in service, for people and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli
from tests.deploy.helpers import model_project, record

FAILING = (
    "deploy:\n  broken:\n    target: command\n    command: [python, -c, 'raise SystemExit(1)']\n"
)


def test_every_environment_in_words(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", FAILING)
    proc = cli(root, "deployed")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("nothing deployed yet (no refs/deploy/* here;")
    assert json.loads(cli(root, "deployed", "--json").stdout) == []
    named = record(root, 0.1, "-n", "baseline")
    failed = record(root, 0.2, "-p", "+exit=3")
    assert cli(root, "deploy", "production", named, "--why", "first release").returncode == 0
    proc = cli(root, "deploy", "staging", failed, "--force", "--why", "try it")
    assert proc.returncode == 0, proc.stderr
    assert cli(root, "deploy", "broken", named).returncode == 1
    proc = cli(root, "deployed")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    rows = {r["environment"]: r for r in json.loads(cli(root, "deployed", "--json").stdout)}
    assert sorted(rows) == ["broken", "production", "staging"]  # sorted, all of them
    model = rows["production"]["models"][0]
    assert lines == [
        "broken: nothing in service (1 event, none succeeded)",
        f"production: run {named} (baseline) since {rows['production']['since']} by "
        "author@example.com (deploy)",
        f"  models  model.bin {model['hash'][:12]}",
        "  why     first release",
        f"staging: run {failed} since {rows['staging']['since']} by author@example.com "
        "(deploy, forced)",
        f"  models  model.bin {rows['staging']['models'][0]['hash'][:12]}",
        "  why     try it",
    ]
    assert rows["broken"] == {"environment": "broken", "run": None, "events": 1}


def test_one_environment_with_nothing_in_service_exits_1(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", FAILING)
    run = record(root, 0.1)
    assert cli(root, "deploy", "broken", run).returncode == 1
    proc = cli(root, "deployed", "broken")
    assert proc.returncode == 1
    assert proc.stdout == "broken: nothing in service (1 event, none succeeded)\n"
    assert proc.stderr == "gitops-ml deployed: nothing is in service in broken\n"
    proc = cli(root, "deployed", "broken", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"environment": "broken", "run": None, "events": 1}
    proc = cli(root, "deployed", "../x")
    assert proc.returncode == 2 and "is not an environment name" in proc.stderr
