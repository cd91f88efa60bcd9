"""In-place ``-p`` runs: a real lock, the journal, the user's edits kept, big params files,
and overrides that keep the file's formatting."""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from tests.conftest import cli, make_project, run_ids, write
from tests.runs.test_recorder import _spawn, _wait_for, record


def test_a_held_params_lock_refuses_a_second_in_place_run(project: Path) -> None:
    """The lock is held by a live process even while its lock file is still empty (the
    moment between creating it and writing the owner): it must not be taken as stale."""
    original = (project / "params.json").read_bytes()
    lock = project / ".git" / "gitops-ml" / "restore" / "params.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another process holding it, nothing written yet
        proc = cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py")
        assert proc.returncode == 2, proc.stderr
        assert "--isolated" in proc.stderr and proc.stderr.count("\n") == 1
        assert (project / "params.json").read_bytes() == original
    assert run_ids(project) == []
    # once released, the same run goes through
    proc = cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py")
    assert proc.returncode == 0, proc.stderr
    assert (project / "params.json").read_bytes() == original


def test_a_run_without_overrides_is_not_blocked_by_the_params_lock(project: Path) -> None:
    lock = project / ".git" / "gitops-ml" / "restore" / "params.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        proc = cli(project, "run", "--", sys.executable, "train.py")
        assert proc.returncode == 0, proc.stderr


EDITOR = """\
import json, pathlib, time
pathlib.Path("{mark}").touch()
deadline = time.time() + 60
while not pathlib.Path("{go}").exists() and time.time() < deadline:
    time.sleep(0.02)
"""


def test_a_users_edit_during_the_run_is_kept(project: Path) -> None:
    mark, go = project.parent / "started", project.parent / "go"
    write(project.parent / "wait.py", EDITOR.format(mark=mark, go=go))
    proc = _spawn(
        project, "run", "-p", "lr=0.9", "--", sys.executable, str(project.parent / "wait.py")
    )
    _wait_for(mark, proc)
    edited = '{"lr": 0.05, "seed": 7}\n'
    (project / "params.json").write_text(edited)  # the user saves the file meanwhile
    go.touch()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (project / "params.json").read_text() == edited
    assert "params.json" in err and "kept" in err
    [run_id] = run_ids(project)
    assert record(project, run_id)["params"]["lr"] == 0.9


def test_a_params_file_over_128_kib(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    big = {"lr": 0.1, "seed": 1, "vocab": [f"token-{i:06d}" for i in range(20000)]}
    (repo / "params.json").write_text(json.dumps(big))
    assert (repo / "params.json").stat().st_size > 128 * 1024
    write(
        repo / "api.py",
        "import gitops_ml\np = gitops_ml.current_params()\n"
        "with gitops_ml.start_run() as r:\n    r.log_metric('n', len(p['vocab']))\n",
    )
    proc = cli(repo, "run", "-p", "lr=0.3", "--", sys.executable, "api.py")
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(repo)
    rec = record(repo, run_id)
    assert rec["metrics"] == {"n": 20000} and rec["params"]["lr"] == 0.3


YAML = """\
# training params: keep this comment
train:
  lr: 0.20    # learning rate
  n_estimators: 100

  layers:
    - 64
    - 32
featurize:
  max_features: 50
"""


def _yaml_project(tmp_path: Path) -> Path:
    repo = make_project(
        tmp_path / "p", config="params: params.yaml\nmetrics: metrics.json\n", commit=False
    )
    (repo / "params.json").unlink()
    write(repo / "params.yaml", YAML)
    write(
        repo / "snap.py",
        "import shutil\nshutil.copy('params.yaml', 'seen.yaml')\n",
    )
    return repo


def test_p_keeps_the_files_formatting(tmp_path: Path) -> None:
    repo = _yaml_project(tmp_path)
    proc = cli(repo, "run", "-p", "featurize.max_features=500", "--", sys.executable, "snap.py")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "seen.yaml").read_text() == YAML.replace("max_features: 50", "max_features: 500")
    assert (repo / "params.yaml").read_text() == YAML
    [run_id] = run_ids(repo)
    params = record(repo, run_id)["params"]
    assert params["train.lr"] == 0.2 and params["featurize.max_features"] == 500


def test_p_refuses_an_unknown_key_unless_plus(tmp_path: Path) -> None:
    repo = _yaml_project(tmp_path)
    typo = cli(repo, "run", "-p", "train.n_estimator=5", "--", "true")
    assert typo.returncode == 2
    assert typo.stderr.count("\n") == 1 and "+train.n_estimator=5" in typo.stderr
    assert "train.n_estimators" in typo.stderr  # the near miss is suggested
    assert run_ids(repo) == [] and (repo / "params.yaml").read_text() == YAML
    added = cli(repo, "run", "-p", "+train.dropout=0.5", "--", sys.executable, "snap.py")
    assert added.returncode == 0, added.stderr
    assert "dropout: 0.5" in (repo / "seen.yaml").read_text()
    [run_id] = run_ids(repo)
    assert record(repo, run_id)["params"]["train.dropout"] == 0.5


def test_p_refuses_replacing_a_section_with_a_value(tmp_path: Path) -> None:
    repo = _yaml_project(tmp_path)
    for bad in ("train=5", "+train=5", "train.lr.x=1"):
        proc = cli(repo, "run", "-p", bad, "--", "true")
        assert proc.returncode == 2, (bad, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert run_ids(repo) == [] and (repo / "params.yaml").read_text() == YAML


def test_p_date_like_value_is_text(project: Path) -> None:
    proc = cli(project, "run", "-p", "+d=2001-01-01", "--", "true")
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(project)
    assert record(project, run_id)["params"]["d"] == "2001-01-01"
