"""``gitops-ml run``: pass-through, exit codes, params overrides, metrics, the nested API,
``--isolated`` worktrees."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids, write


def record(repo: Path, run_id: str) -> dict:
    body = git(repo, "log", "-1", "--format=%B", f"refs/runs/{run_id}").partition("\n\n")[2]
    return json.loads(body)


def only_run(repo: Path) -> dict:
    ids = run_ids(repo)
    assert len(ids) == 1, ids
    return record(repo, ids[0])


def test_output_passes_through_and_exit_code_is_returned(project: Path) -> None:
    write(
        project / "noisy.py",
        "import sys\nprint('to-out')\nprint('to-err', file=sys.stderr)\nsys.exit(7)\n",
    )
    proc = cli(project, "run", "--", sys.executable, "noisy.py")
    assert proc.returncode == 7
    assert proc.stdout == "to-out\n"
    assert proc.stderr.startswith("to-err\n")
    assert "Traceback" not in proc.stderr
    rec = only_run(project)
    assert rec["exit_code"] == 7
    assert rec["command"] == [sys.executable, "noisy.py"]


def test_failing_command_is_recorded_with_metrics_and_params_restored(project: Path) -> None:
    original = (project / "params.json").read_bytes()
    proc = cli(project, "run", "-p", "+exit=3", "-p", "lr=0.5", "--", sys.executable, "train.py")
    assert proc.returncode == 3
    rec = only_run(project)
    assert rec["exit_code"] == 3
    assert rec["params"] == {"lr": 0.5, "seed": 1, "exit": 3}
    assert rec["metrics"] == {"accuracy": 0.95, "loss": 0.5}
    assert (project / "params.json").read_bytes() == original


def test_overrides_reach_a_script_reading_only_its_params_file(project: Path) -> None:
    original = (project / "params.json").read_bytes()
    before = git(project, "status", "--porcelain")
    proc = cli(
        project, "run", "-p", "lr=0.25", "-p", "+extra.depth=3", "--", sys.executable, "train.py"
    )
    assert proc.returncode == 0, proc.stderr
    assert "trained 0.25" in proc.stdout
    assert (project / "params.json").read_bytes() == original
    assert git(project, "status", "--porcelain") == before
    rec = only_run(project)
    assert rec["params"] == {"lr": 0.25, "seed": 1, "extra.depth": 3}
    assert rec["metrics"] == {"accuracy": 0.975, "loss": 0.25}
    assert rec["seeds"] == {"seed": 1}
    snap = json.loads(git(project, "show", f"refs/runs/{rec['id']}:params.json"))
    assert snap == {"lr": 0.25, "seed": 1, "extra": {"depth": 3}}


def test_yaml_params_file(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.yaml\nmetrics: m.yaml\n")
    write(repo / "params.yaml", "# my params\nlr: 0.1\nmodel:\n  layers: 2\n")
    write(
        repo / "t.py",
        "import yaml\np = yaml.safe_load(open('params.yaml'))\n"
        "open('m.yaml', 'w').write(f\"acc: {p['model']['layers'] / 10}\\n\")\n",
    )
    original = (repo / "params.yaml").read_bytes()
    proc = cli(repo, "run", "-p", "model.layers=5", "-p", "+opt=adam", "--", sys.executable, "t.py")
    assert proc.returncode == 0, proc.stderr
    rec = only_run(repo)
    assert rec["params"] == {"lr": 0.1, "model.layers": 5, "opt": "adam"}
    assert rec["metrics"] == {"acc": 0.5}
    assert (repo / "params.yaml").read_bytes() == original


def test_name_tags_and_json_output(project: Path) -> None:
    proc = cli(project, "run", "-n", "baseline", "-t", "a", "-t", "b", "--json", "--", "true")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    rec = only_run(project)
    assert rec["name"] == "baseline" and rec["tags"] == ["a", "b"]
    assert (
        shown["id"] == rec["id"]
        and shown["git"]["snapshot"] == git(project, "rev-parse", f"refs/runs/{rec['id']}").strip()
    )
    assert git(project, "log", "-1", "--format=%s", f"refs/runs/{rec['id']}").strip() == (
        f"gitops-ml run {rec['id']}: baseline"
    )


NESTED = textwrap.dedent(
    """\
    import json, gitops_ml
    p = json.load(open("params.json"))
    with gitops_ml.start_run(params={"batch": 32}) as run:
        assert run.nested, "should join the gitops-ml run"
        run.log_metrics({"api_acc": 0.9, "step": 10})
        run.log_param("optimizer", "sgd")
        open("model.bin", "wb").write(b"weights" * 100)
        run.log_artifact("model.bin")
    json.dump({"file_acc": 1 - p["lr"]}, open("metrics.json", "w"))
    """
)


def test_api_under_run_logs_into_the_same_run(project: Path) -> None:
    write(project / "nested.py", NESTED)
    proc = cli(project, "run", "-p", "lr=0.2", "--", sys.executable, "nested.py")
    assert proc.returncode == 0, proc.stderr
    rec = only_run(project)  # exactly one run
    assert rec["metrics"] == {"file_acc": 0.8, "api_acc": 0.9, "step": 10}
    assert rec["params"] == {"lr": 0.2, "seed": 1, "batch": 32, "optimizer": "sgd"}
    [art] = rec["artifacts"]
    assert art["path"] == "model.bin" and art["size"] == 700
    cached = project / ".git" / "gitops-ml" / "cache" / art["hash"][:2] / art["hash"][2:]
    assert cached.read_bytes() == b"weights" * 100


def test_isolated_runs_in_a_removed_worktree(project: Path) -> None:
    cfg = "params: params.json\nmetrics: metrics.json\noutputs: model.txt\n"
    (project / "gitops-ml.yaml").write_text(cfg)
    write(
        project / "train.py",
        "import json, os\np = json.load(open('params.json'))\n"
        "json.dump({'accuracy': 1 - p['lr'], 'where': os.getcwd()}, open('metrics.json', 'w'))\n"
        "open('model.txt', 'w').write(str(p['lr']))\n",
    )
    git(project, "commit", "-qam", "outputs")
    original = (project / "params.json").read_bytes()
    proc = cli(project, "run", "--isolated", "-p", "lr=0.4", "--", sys.executable, "train.py")
    assert proc.returncode == 0, proc.stderr
    rec = only_run(project)
    assert rec["isolated"] is True
    assert rec["params"]["lr"] == 0.4 and rec["metrics"]["accuracy"] == 0.6
    where = Path(rec["metrics"]["where"])
    assert where != project and not where.exists()
    [out] = rec["outputs"]
    assert out["path"] == "model.txt" and out["size"] == 3
    # nothing written in the user's tree; worktree list clean
    assert not (project / "metrics.json").exists() and not (project / "model.txt").exists()
    assert (project / "params.json").read_bytes() == original
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(project, "status", "--porcelain") == ""


def test_run_json_record_has_the_documented_keys(project: Path) -> None:
    proc = cli(project, "run", "--json", "--", "true")  # the command prints nothing
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    for key in (
        "id",
        "name",
        "command",
        "exit_code",
        "started",
        "ended",
        "duration",
        "user",
        "host",
        "git",
        "params",
        "metrics",
        "data",
        "outputs",
        "environment",
        "seeds",
        "tags",
    ):
        assert key in rec, key
    assert set(rec["git"]) >= {"base", "branch", "dirty", "snapshot"}
    env = rec["environment"]
    assert set(env) >= {"python", "platform", "distributions", "lockfile", "fingerprint"}
    assert "pytest" in env["distributions"]
    assert rec["user"] == {"name": "Test Author", "email": "author@example.com"}


def test_metrics_and_outputs_left_from_an_earlier_run_are_not_this_runs(project: Path) -> None:
    (project / "gitops-ml.yaml").write_text(
        "params: params.json\nmetrics: metrics.json\noutputs: model.txt\n"
    )
    write(project / ".gitignore", "metrics.json\nmodel.txt\n")
    write(
        project / "fit.py",
        (project / "train.py")
        .read_text()
        .replace("print(", "open('model.txt', 'w').write('m')\nprint("),
    )
    assert cli(project, "run", "--", sys.executable, "fit.py").returncode == 0
    proc = cli(project, "run", "-n", "crash", "--", sys.executable, "-c", "raise SystemExit(1)")
    assert proc.returncode == 1
    assert "metrics.json was not written by this run" in proc.stderr
    assert "model.txt was not written by this run" in proc.stderr
    crash = next(
        record(project, i) for i in run_ids(project) if record(project, i)["name"] == "crash"
    )
    assert crash["metrics"] == {} and crash["outputs"] == [] and crash["exit_code"] == 1


def test_malformed_metrics_file_still_records_the_run(project: Path) -> None:
    write(project / "bad.py", "open('metrics.json', 'w').write('{\"accuracy\": ')\n")
    proc = cli(project, "run", "--", sys.executable, "bad.py")
    assert proc.returncode == 0
    assert "metrics.json:1: not valid JSON" in proc.stderr and "not recorded" in proc.stderr
    assert only_run(project)["metrics"] == {}


def test_a_second_in_place_run_with_overrides_is_refused_while_one_runs(project: Path) -> None:
    import subprocess
    import time

    original = (project / "params.json").read_bytes()
    write(
        project / "slow.py",
        "import time, pathlib\npathlib.Path('started').touch()\n"
        "deadline = time.time() + 60\n"
        "while not pathlib.Path('release').exists() and time.time() < deadline:\n"
        "    time.sleep(0.02)\n",
    )
    first = subprocess.Popen(
        ["gitops-ml", "run", "-p", "lr=0.2", "--", sys.executable, "slow.py"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not (project / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py")
    (project / "release").touch()  # the first run ends only now, whatever the load
    first.communicate(timeout=60)
    assert second.returncode == 2
    assert "--isolated" in second.stderr and "Traceback" not in second.stderr
    assert first.returncode == 0
    # The user's params file is back as it was, and the refused run left nothing.
    assert (project / "params.json").read_bytes() == original
    assert len(run_ids(project)) == 1
    ok = cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py")
    assert ok.returncode == 0, ok.stderr


def test_run_warns_once_about_an_unpinned_lockfile(project: Path) -> None:
    write(project / "requirements.txt", "pyyaml\nblake3==1.0.0\n")
    first = cli(project, "run", "--", "true")
    assert first.returncode == 0, first.stderr
    assert "requirements.txt" in first.stderr and "pyyaml" in first.stderr
    second = cli(project, "run", "--", "true")
    assert second.returncode == 0 and "requirements.txt" not in second.stderr
