"""The deploy chain through the real CLI: deploy, again, rollback, races through a bare remote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import cli, git
from tests.deploy.helpers import deployed, history, model_project, notes_facts, record


def test_deploy_again_and_rollback_record_every_event(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    a, b, c = record(root, 0.1), record(root, 0.2), record(root, 0.3)
    assert cli(root, "deployed", "production").returncode == 1  # nothing yet
    for run in (a, b, c):
        proc = cli(root, "deploy", "production", run[:12], "--why", f"ship {run}")
        assert proc.returncode == 0, proc.stderr
        assert f"production now serves run {run}" in proc.stdout
        assert deployed(root, "production")["run"] == run
    proc = cli(root, "rollback", "production", "--why", "c is bad")
    assert proc.returncode == 0, proc.stderr
    assert deployed(root, "production")["run"] == b
    assert cli(root, "rollback", "production").returncode == 0
    now = deployed(root, "production")
    assert now["run"] == a and now["action"] == "rollback"
    proc = cli(root, "rollback", "production")
    assert proc.returncode == 2 and "cannot roll back production" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    events = list(reversed(history(root, "production")))
    assert [(e["action"], e["run"]) for e in events] == [
        ("deploy", a),
        ("deploy", b),
        ("deploy", c),
        ("rollback", b),
        ("rollback", a),
    ]
    assert [e["previous"] for e in events] == [None, a, b, c, b]
    assert events[3]["why"] == "c is bad"
    assert events[0]["by"]["email"] == "author@example.com"
    assert (
        events[0]["models"][0]["path"] == "model.bin" and len(events[0]["models"][0]["hash"]) == 64
    )
    # the chain is the contract: one first-parent commit per event, oldest first
    log = git(root, "log", "--first-parent", "--reverse", "--format=%s", "refs/deploy/production")
    assert log.split("\n")[0].startswith(f"deploy production: {a}")
    assert len(log.strip().splitlines()) == 5
    # the run's notes say where it was deployed; lineage shows it
    facts = notes_facts(root, a, "deploy")
    assert [(f["action"], f["environment"], f["ok"]) for f in facts] == [
        ("deploy", "production", True),
        ("rollback", "production", True),
    ]
    lineage = json.loads(cli(root, "lineage", "model.bin", "--json").stdout)
    assert lineage  # model.bin is the last run's (c): it was deployed once
    assert "production" in cli(root, "runs", "show", a).stdout


def test_refusals_and_recorded_force(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", "deploy:\n  production:\n    require_verified: true\n")
    good = record(root, 0.1)
    failed = record(root, 0.2, "-p", "+exit=3")
    proc = cli(root, "deploy", "production", failed)
    assert proc.returncode == 1
    assert f"run {failed} failed (its command exited 3)" in proc.stderr
    proc = cli(root, "deploy", "production", good)
    assert proc.returncode == 1 and "was never verified" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # staging does not require verification: fine there
    assert cli(root, "deploy", "staging", good).returncode == 0
    # --force needs a reason, and is recorded
    assert cli(root, "deploy", "production", good, "--force").returncode == 2
    proc = cli(root, "deploy", "production", good, "--force", "--why", "hotfix, verify later")
    assert proc.returncode == 0, proc.stderr
    now = deployed(root, "production")
    assert now["forced"] is True and now["why"] == "hotfix, verify later"
    ev = history(root, "production")[0]
    assert ev["force_reason"] == "hotfix, verify later"
    assert "never verified" in ev["refusal_overridden"]
    assert notes_facts(root, good, "deploy")[-1]["forced"] is True


def test_verified_run_deploys_and_a_failed_verification_is_refused(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", "deploy:\n  production:\n    require_verified: true\n")
    run = record(root, 0.1)
    commit = git(root, "rev-parse", f"refs/runs/{run}").strip()
    fact = {"type": "verify", "ok": True, "by": "ci", "at": "2026-01-01T00:00:00Z", "metrics": []}
    git(root, "notes", "--ref=refs/notes/gitops-ml", "append", "-m", json.dumps(fact), commit)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 0, proc.stderr
    assert history(root, "production")[0]["verification"]["ok"] is True
    bad = {
        "type": "verify",
        "ok": False,
        "by": "ci",
        "at": "2026-01-02T00:00:00Z",
        "metrics": [{"name": "accuracy", "ok": False}],
    }
    git(root, "notes", "--ref=refs/notes/gitops-ml", "append", "-m", json.dumps(bad), commit)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 1
    assert "failed verification (accuracy did not reproduce)" in proc.stderr


def test_failed_target_is_recorded_and_deployed_keeps_the_truth(tmp_path: Path) -> None:
    script = (
        "import json, os, pathlib, sys\n"
        "paths = os.environ['GITOPS_ML_MODEL_PATHS'].split(os.pathsep)\n"
        "hashes = json.loads(os.environ['GITOPS_ML_MODEL_HASHES'])\n"
        "pathlib.Path('shipped.txt').open('a').write(json.dumps({\n"
        "  'run': os.environ['GITOPS_ML_RUN_ID'], 'env': os.environ['GITOPS_ML_ENVIRONMENT'],\n"
        "  'model': pathlib.Path(paths[0]).read_text(), 'hashes': hashes}) + '\\n')\n"
        "sys.exit(int(pathlib.Path('fail').exists()))\n"
    )
    root = model_project(
        tmp_path / "p",
        "deploy:\n  production:\n    target: command\n    command: [python, ship.py]\n",
    )
    (root / "ship.py").write_text(script)
    good, other = record(root, 0.1), record(root, 0.2)
    assert cli(root, "deploy", "production", good).returncode == 0
    shipped = json.loads((root / "shipped.txt").read_text().splitlines()[0])
    assert shipped["run"] == good and shipped["env"] == "production"
    assert shipped["model"] == "weights 0.1"  # the run's model, from the store, verified
    assert list(shipped["hashes"]) == ["model.bin"]
    (root / "fail").write_text("")
    proc = cli(root, "deploy", "production", other)
    assert proc.returncode == 1
    assert "target command failed (exit 1)" in proc.stderr
    assert f"{good} stays in service" in proc.stderr
    assert deployed(root, "production")["run"] == good
    events = history(root, "production")
    assert events[0]["run"] == other and events[0]["target"]["ok"] is False
    # status agrees: the chain's head failed, so the run in service is still the good one
    page = json.loads(cli(root, "status", "--json").stdout)
    (prod,) = page["deployed"]
    assert (prod["run"], prod["deploys"], prod["head_ok"]) == (good, 2, False)
    text = cli(root, "status").stdout
    assert f"production: run {good} (2 deploys in the chain, the last failed:" in text


def _published(tmp_path: Path, remote: Path, name: str) -> Path:
    root = model_project(tmp_path / name)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    return root


def test_racing_deploys_from_two_clones_lose_nothing(tmp_path: Path, bare_remote: Path) -> None:
    """Two clones deploy at the same moment: both read the same chain head, both targets
    run, then both push. A barrier in the target makes the race certain, not likely."""
    a = _published(tmp_path, bare_remote, "a")
    run_a = record(a, 0.1)
    assert cli(a, "sync").returncode == 0
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(bare_remote), str(b))
    run_b = record(b, 0.2)
    first = record(a, 0.3)
    assert cli(a, "deploy", "production", first).returncode == 0  # a chain exists already
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    ship = (
        "import os, pathlib, time\n"
        f"d = pathlib.Path({str(barrier)!r})\n"
        "(d / os.environ['GITOPS_ML_RUN_ID']).touch()\n"
        "for _ in range(12000):\n"
        "    if len(list(d.iterdir())) >= 2: break\n"
        "    time.sleep(0.01)\n"
    )
    config = "store: {}\ndeploy:\n  production:\n    target: command\n    command: [python, {}]\n"
    for root in (a, b):
        (root / "ship.py").write_text(ship)
        with (root / "gitops-ml.yaml").open("a") as fh:
            fh.write(config.format(tmp_path / "store", root / "ship.py"))
        # the models travel through the shared store: a rollback in b needs a's model
        assert cli(root, "data", "push").returncode == 0
    procs = [
        subprocess.Popen(
            ["gitops-ml", "deploy", "production", run, "--json"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for root, run in ((a, run_a), (b, run_b))
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    results = [json.loads(out) for out, _ in outs]
    lost = [r for r in results if r["lost_races"]]
    assert len(lost) == 1, [r["lost_races"] for r in results]  # exactly one loser, told
    loser_err = outs[results.index(lost[0])][1]
    assert "deploy chain production moved" in loser_err
    winner = next(r for r in results if not r["lost_races"])
    assert lost[0]["previous"] == winner["run"]  # the loser's event names the winner's run
    for root in (a, b):
        assert cli(root, "sync").returncode == 0, root
    remote_log = git(
        bare_remote, "log", "--first-parent", "--reverse", "--format=%s", "refs/deploy/production"
    ).splitlines()
    assert len(remote_log) == 3
    assert remote_log[1].startswith(f"deploy production: {winner['run']}")
    assert remote_log[2].startswith(f"deploy production: {lost[0]['run']}")
    for root in (a, b):
        assert deployed(root, "production")["run"] == lost[0]["run"]
        got = [e["run"] for e in reversed(history(root, "production"))]
        assert got == [first, winner["run"], lost[0]["run"]]
    # rollback from b puts the winner back everywhere, after a sync
    assert cli(b, "rollback", "production").returncode == 0
    assert cli(a, "sync").returncode == 0
    assert deployed(a, "production")["run"] == winner["run"]
    # the deploy notes travelled with the chain
    actions = ["deploy", "rollback"] if winner["run"] == run_b else ["deploy"]
    assert [f["action"] for f in notes_facts(a, run_b, "deploy")] == actions


def test_environment_names_and_bad_settings_are_one_line(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    run = record(root, 0.1)
    config = root / "gitops-ml.yaml"
    for args, words in (
        (("deploy", "prod/../x", run), "is not an environment name"),
        (("deploy", "production", run), "deploy.production.target: must be one of"),
    ):
        if "production" in args:  # a bad deploy section: every command refuses it
            config.write_text(config.read_text() + "deploy:\n  production:\n    target: rocket\n")
        proc = cli(root, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    (root / "gitops-ml.yaml").write_text("params: params.json\n")
    proc = cli(root, "deploy", "staging", "ZZZZ")
    assert proc.returncode == 2 and "no run matches" in proc.stderr
    assert "Traceback" not in cli(root, "deploy", "history", "a b").stderr
    assert sys.executable  # the CLI ran from this venv (conftest puts it first on PATH)
