"""Recording under stress: 8 concurrent runs, SIGKILL at the worst moments, secrets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import all_objects_text, cli, git, make_project, run_ids, write


def record(repo: Path, run_id: str) -> dict:
    body = git(repo, "log", "-1", "--format=%B", f"refs/runs/{run_id}").partition("\n\n")[2]
    return json.loads(body)


def fsck_clean(repo: Path) -> None:
    proc = subprocess.run(
        ["git", "fsck", "--full", "--strict", "--no-dangling"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def start_together(repo: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (each waits for one file, then execs)."""
    go = repo.parent / "go"
    procs = [
        subprocess.Popen(
            ["sh", "-c", f'while [ ! -e "{go}" ]; do sleep 0.005; done; exec "$@"', "sh", *cmd],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cmd in commands
    ]
    time.sleep(0.2)
    go.touch()
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def head_note_runs(repo: Path) -> list[str]:
    """The runs made on HEAD (their commits' parent) whose environment is stored: the
    whole of what a run writes (contract v2: no notes line)."""
    head = git(repo, "rev-parse", "HEAD")
    envs = git(repo, "ls-tree", "--name-only", "refs/gitops-ml/environments").split()
    out = []
    for run_id in run_ids(repo):
        if git(repo, "rev-parse", f"refs/runs/{run_id}^") == head:
            fingerprint = record(repo, run_id)["environment"]["fingerprint"]
            assert f"{fingerprint}.json" in envs
            out.append(run_id)
    return sorted(out)


def test_eight_concurrent_runs_in_place(project: Path) -> None:
    results = start_together(project, [["gitops-ml", "run", "--", sys.executable, "train.py"]] * 8)
    for r in results:
        assert r.returncode == 0, r.stderr
    ids = run_ids(project)
    assert len(ids) == 8
    assert head_note_runs(project) == ids
    for run_id in ids:
        # In place, the 8 commands share one metrics.json: a run may read it while another
        # command has just truncated it (that is what --isolated is for). Never a lost run.
        assert record(project, run_id)["metrics"] in ({"accuracy": 0.99, "loss": 0.1}, {})
    fsck_clean(project)
    assert git(project, "status", "--porcelain") == ""


def test_eight_concurrent_isolated_runs_with_different_params(project: Path) -> None:
    original = (project / "params.json").read_bytes()
    lrs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    results = start_together(
        project,
        [
            ["gitops-ml", "run", "--isolated", "-p", f"lr={lr}", "--", sys.executable, "train.py"]
            for lr in lrs
        ],
    )
    for r in results:
        assert r.returncode == 0, r.stderr
    ids = run_ids(project)
    assert len(ids) == 8
    assert head_note_runs(project) == ids
    seen = []
    for run_id in ids:
        rec = record(project, run_id)
        lr = rec["params"]["lr"]
        seen.append(lr)
        assert rec["metrics"] == {"accuracy": round(1 - lr / 10, 6), "loss": lr}, rec
        snap = json.loads(git(project, "show", f"refs/runs/{run_id}:params.json"))
        assert snap["lr"] == lr
    assert sorted(seen) == lrs
    fsck_clean(project)
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert (project / "params.json").read_bytes() == original
    assert not (project / "metrics.json").exists()


def _spawn(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["gitops-ml", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # its own process group, killed as a whole like a CI job
    )


def _kill_group(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


SLEEPER = "import json, pathlib, time\np = json.load(open('params.json'))\npathlib.Path('{mark}').touch()\ntime.sleep(60)\n"


def test_sigkill_while_the_command_runs(project: Path) -> None:
    original = (project / "params.json").read_bytes()
    mark = project.parent / "started"
    write(project.parent / "sleeper.py", SLEEPER.format(mark=mark))
    proc = _spawn(
        project, "run", "-p", "lr=0.9", "--", sys.executable, str(project.parent / "sleeper.py")
    )
    _wait_for(mark, proc)
    assert json.loads((project / "params.json").read_text())["lr"] == 0.9  # overridden in place
    _kill_group(proc)

    assert run_ids(project) == []  # no half-written run
    fsck_clean(project)
    # the next run puts the user's params file back (it still held what the killed run wrote)
    nxt = cli(project, "run", "--", sys.executable, "train.py")
    assert nxt.returncode == 0, nxt.stderr
    assert "params.json: restored after interrupted run" in nxt.stderr
    assert (project / "params.json").read_bytes() == original
    [run_id] = run_ids(project)
    assert record(project, run_id)["params"]["lr"] == 0.1
    assert not list((project / ".git" / "gitops-ml" / "restore").glob("*.json*"))
    fsck_clean(project)


def test_sigkill_keeps_a_params_file_the_user_changed_since(project: Path) -> None:
    mark = project.parent / "started"
    write(project.parent / "sleeper.py", SLEEPER.format(mark=mark))
    proc = _spawn(
        project, "run", "-p", "lr=0.9", "--", sys.executable, str(project.parent / "sleeper.py")
    )
    _wait_for(mark, proc)
    _kill_group(proc)
    (project / "params.json").write_text('{"lr": 0.05, "seed": 2}')  # the user edits it
    nxt = cli(project, "run", "--", "true")
    assert nxt.returncode == 0
    assert "changed since interrupted run" in nxt.stderr
    assert json.loads((project / "params.json").read_text()) == {"lr": 0.05, "seed": 2}
    [kept] = (project / ".git" / "gitops-ml" / "restore").glob("*.kept")
    assert "original" in kept.read_text()


def test_sigkill_of_an_isolated_run_leaves_no_worktree_behind(project: Path) -> None:
    mark = project.parent / "started"
    write(project.parent / "sleeper.py", SLEEPER.format(mark=mark))
    proc = _spawn(
        project,
        "run",
        "--isolated",
        "-p",
        "lr=0.9",
        "--",
        sys.executable,
        str(project.parent / "sleeper.py"),
    )
    _wait_for(mark, proc)
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 2
    _kill_group(proc)
    assert run_ids(project) == []
    nxt = cli(project, "run", "--", "true")
    assert nxt.returncode == 0, nxt.stderr
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert not [p for p in (project / ".git" / "gitops-ml" / "worktrees").iterdir()]
    fsck_clean(project)


def test_sigkill_during_the_ref_update(project: Path, tmp_path: Path) -> None:
    """A real ``git`` on PATH behind a wrapper that stalls on ``update-ref``: the run is
    killed after its objects are written, before its one ref transaction."""
    real_git = shutil.which("git")
    wrapper_dir = tmp_path / "slowgit"
    mark = tmp_path / "in-update-ref"
    write(
        wrapper_dir / "git",
        f'#!/bin/sh\nif [ "$1" = update-ref ]; then touch "{mark}"; sleep 60; fi\nexec "{real_git}" "$@"\n',
    )
    (wrapper_dir / "git").chmod(0o755)
    original = (project / "params.json").read_bytes()
    env = {"PATH": f"{wrapper_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = _spawn(project, "run", "-p", "lr=0.7", "--", sys.executable, "train.py", env=env)
    _wait_for(mark, proc)
    _kill_group(proc)

    assert run_ids(project) == []
    assert git(project, "notes", "--ref=gitops-ml", "list", check=False) == ""
    assert git(project, "for-each-ref", "refs/gitops-ml/") == ""  # one transaction with the run
    fsck_clean(project)
    assert (project / "params.json").read_bytes() == original  # restored before writing
    nxt = cli(project, "run", "--", sys.executable, "train.py")
    assert nxt.returncode == 0, nxt.stderr
    [run_id] = run_ids(project)
    assert head_note_runs(project) == [run_id]
    fsck_clean(project)


def test_secrets_never_reach_the_object_store(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p",
        config="params: params.json\nmetrics: metrics.json\nenv: [AWS_SECRET_ACCESS_KEY, MY_PASSWORD, SAFE_VAR, GITHUB_TOKEN]\n",
    )
    secrets = {
        "AWS_SECRET_ACCESS_KEY": "supersecretvalue123",
        "GITHUB_TOKEN": "ghp_tokenvalue456789",
        "MY_PASSWORD": "hunter2hunter2",
        "API_KEY": "apikeyvalue000",
    }
    env = {**secrets, "SAFE_VAR": "plainvalue42"}
    write(
        repo / "api.py",
        "import gitops_ml\nwith gitops_ml.start_run() as r:\n    r.log_metric('m', 1)\n",
    )
    assert cli(repo, "run", "--", sys.executable, "train.py", env=env).returncode == 0
    assert cli(repo, "run", "--isolated", "--", sys.executable, "train.py", env=env).returncode == 0
    assert cli(repo, "run", "--", sys.executable, "api.py", env=env).returncode == 0
    api = subprocess.run([sys.executable, "api.py"], cwd=repo, env={**os.environ, **env})
    assert api.returncode == 0
    assert len(run_ids(repo)) == 4
    blob = all_objects_text(repo)
    for name, value in secrets.items():
        assert value.encode() not in blob, name
    assert b"plainvalue42" in blob
    rec = record(repo, run_ids(repo)[0])
    assert rec["environment"]["variables"]["SAFE_VAR"] == "plainvalue42"
    assert not set(rec["environment"]["variables"]) & set(secrets)


def test_ctrl_c_of_an_isolated_run_records_it_and_removes_the_worktree(project: Path) -> None:
    mark = project.parent / "started"
    write(project.parent / "sleeper.py", SLEEPER.format(mark=mark))
    proc = _spawn(
        project, "run", "--isolated", "--", sys.executable, str(project.parent / "sleeper.py")
    )
    _wait_for(mark, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    [run_id] = run_ids(project)
    assert record(project, run_id)["exit_code"] == 130
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 1
    fsck_clean(project)


def test_the_environment_recorded_is_the_commands_python(tmp_path: Path) -> None:
    """gitops-ml installed in one environment (pipx), the project in another (its venv):
    the record describes the Python the command ran under, not gitops-ml's."""
    import venv

    project = make_project(tmp_path / "p")
    other = tmp_path / "projvenv"
    venv.EnvBuilder(with_pip=False).create(other)
    site = next((other / "lib").glob("python*/site-packages"))
    (site / "onlyhere-1.2.3.dist-info").mkdir()
    (site / "onlyhere-1.2.3.dist-info" / "METADATA").write_text("Name: onlyhere\nVersion: 1.2.3\n")
    path = f"{other / 'bin'}{os.pathsep}{os.environ['PATH']}"
    proc = cli(project, "run", "--json", "--", "python", "-c", "pass", env={"PATH": path})
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)["environment"]
    assert env["executable"].startswith(str(other))
    assert env["distributions"] == {"onlyhere": "1.2.3"}
    # gitops-ml's own interpreter is what a command of another kind runs under.
    mine = cli(project, "run", "--json", "--", "true")
    assert "pyyaml" in json.loads(mine.stdout)["environment"]["distributions"]
