"""`gitops-ml deploy`: what it prints, --change (deploy on merge), and its usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli, git, write
from tests.deploy.helpers import deployed, history, model_project, record


def _verify(root: Path, run: str, ok: bool) -> None:
    """A ``verify`` fact on the run's notes, as ``ci verify`` writes it."""
    commit = git(root, "rev-parse", f"refs/runs/{run}").strip()
    fact = {"type": "verify", "ok": ok, "by": "ci", "at": "2026-01-01T00:00:00Z", "metrics": []}
    git(root, "notes", "--ref=refs/notes/gitops-ml", "append", "-m", json.dumps(fact), commit)


def _feature(root: Path) -> None:
    """A branch ``feature`` with one commit more than ``main``."""
    git(root, "checkout", "-q", "-b", "feature")
    write(root / "params.json", json.dumps({"lr": 0.3, "seed": 2}))
    git(root, "commit", "-q", "-am", "tune")


def test_change_deploys_the_verified_claimed_run_else_the_newest(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    record(root, 0.1)  # made on main: not claimed by main..feature
    _feature(root)
    older = record(root, 0.2)
    newer = record(root, 0.3)
    _verify(root, older, True)
    _verify(root, newer, False)
    proc = cli(root, "deploy", "staging", "--change", "main..feature", "--no-push")
    assert proc.returncode == 0, proc.stderr
    assert f"staging now serves run {older}" in proc.stdout
    assert "(this clone only)" in proc.stdout
    ev = history(root, "staging")[0]
    assert ev["run"] == older and ev["why"] == "merged main..feature"
    # nothing verified: the newest claimed run, which the checks then judge
    root2 = model_project(tmp_path / "q")
    _feature(root2)
    first, second = record(root2, 0.2), record(root2, 0.3)
    proc = cli(root2, "deploy", "staging", "--change", "main..feature", "--why", "ship it")
    assert proc.returncode == 0, proc.stderr
    now = deployed(root2, "staging")
    assert now["run"] == second != first and now["why"] == "ship it"


def test_change_claiming_no_run_is_a_notice_not_a_failure(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    record(root, 0.1)
    _feature(root)
    proc = cli(root, "deploy", "production", "--change", "main..feature", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "null"
    assert "nothing to deploy: main..feature claims no run" in proc.stderr
    assert git(root, "for-each-ref", "refs/deploy/").strip() == ""
    proc = cli(root, "deploy", "production", "--change", "main..feature")
    assert proc.returncode == 0 and proc.stdout == ""


def test_run_and_change_are_one_or_the_other_and_change_is_a_range(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    run = record(root, 0.1)
    for args, words in (
        (("deploy", "staging"), "name the run to deploy, or --change BASE..HEAD"),
        (("deploy", "staging", run, "--change", "main..main"), "(not both)"),
        (("deploy", "staging", "--change", "main"), "--change 'main': expected BASE..HEAD"),
        (("deploy", "staging", "--change", "..main"), "expected BASE..HEAD"),
        (("deploy", "staging", "--change", "main.."), "expected BASE..HEAD"),
        (("deploy", "staging", "--change", "main..nope"), "'nope' names no commit"),
    ):
        proc = cli(root, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert words in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert git(root, "for-each-ref", "refs/deploy/").strip() == ""


def test_forced_deploy_says_what_was_overridden(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    failed = record(root, 0.2, "-p", "+exit=3")
    proc = cli(root, "deploy", "staging", failed, "--force", "--why", "debug build")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith(f"gitops-ml deploy: staging now serves run {failed}")
    assert lines[1] == (
        f"gitops-ml deploy: forced, recorded: run {failed} failed (its command exited 3)"
    )
    # --json prints the recorded event, with the chain commit it was recorded as
    good = record(root, 0.1)
    proc = cli(root, "deploy", "staging", good, "--json")
    assert proc.returncode == 0, proc.stderr
    ev = json.loads(proc.stdout)
    assert ev["run"] == good and ev["previous"] == failed and ev["lost_races"] == []
    assert ev["commit"] == git(root, "rev-parse", "refs/deploy/staging").strip()


def test_a_failed_target_with_nothing_in_service_says_so(tmp_path: Path) -> None:
    root = model_project(
        tmp_path / "p",
        "deploy:\n  staging:\n    target: command\n    command: python -c 'raise SystemExit(4)'\n",
    )
    run = record(root, 0.1)
    proc = cli(root, "deploy", "staging", run)
    assert proc.returncode == 1
    assert "target command failed (exit 4)" in proc.stderr
    assert "nothing is in service" in proc.stderr
    assert deployed(root, "staging")["run"] is None
    assert history(root, "staging")[0]["target"]["exit_code"] == 4
