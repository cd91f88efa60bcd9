"""The command as a child process: signals, closed pipes, commands that cannot start, the
API importable in the child, ``--json`` output kept clean."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import cli, make_project, run_ids, write
from tests.runs.test_recorder import _spawn, _wait_for, fsck_clean, record

CHILD = """\
import json, os, pathlib, time
json.load(open("params.json"))
pathlib.Path("{pidfile}").write_text(str(os.getpid()))
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _signal_test(project: Path, signum: int) -> None:
    original = (project / "params.json").read_bytes()
    pidfile = project.parent / "child.pid"
    write(project.parent / "child.py", CHILD.format(pidfile=pidfile))
    proc = _spawn(
        project, "run", "-p", "lr=0.9", "--", sys.executable, str(project.parent / "child.py")
    )
    _wait_for(pidfile, proc)
    time.sleep(0.1)
    child = int(pidfile.read_text())
    os.kill(proc.pid, signum)  # to gitops-ml only, as `kill` or a dropped ssh session does
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the command was left running"
    assert (project / "params.json").read_bytes() == original
    [run_id] = run_ids(project)
    assert record(project, run_id)["exit_code"] == 128 + signum
    fsck_clean(project)


def test_sighup_stops_the_command_restores_params_and_records(project: Path) -> None:
    _signal_test(project, signal.SIGHUP)


def test_sigterm_stops_the_command_restores_params_and_records(project: Path) -> None:
    _signal_test(project, signal.SIGTERM)


def test_recording_does_not_depend_on_being_able_to_print(project: Path) -> None:
    """``gitops-ml run -- python train.py 2>&1 | head -1``: the reader is gone."""
    write(
        project / "chatty.py",
        (project / "train.py").read_text() + "import sys\nfor i in range(2000): print('line', i)\n",
    )
    (project / "metrics.json").write_text("{}")  # makes the run warn (not written by it)...
    write(project / "nowrite.py", "print('x' * 100000)\n")
    r, w = os.pipe()
    os.close(r)  # ...into a pipe nobody reads
    for script in ("chatty.py", "nowrite.py"):
        proc = subprocess.Popen(
            ["gitops-ml", "run", "--", sys.executable, script],
            cwd=project,
            stdout=w,
            stderr=w,
        )
        proc.wait(timeout=60)
    os.close(w)
    assert len(run_ids(project)) == 2
    fsck_clean(project)


def test_a_command_that_cannot_be_executed_exits_2_and_restores_params(project: Path) -> None:
    original = (project / "params.json").read_bytes()
    script = project / "noshebang"
    script.write_bytes(b"\x7fELF-not-really\n")
    script.chmod(0o755)
    proc = cli(project, "run", "-p", "lr=0.7", "--", "./noshebang")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "cannot start" in proc.stderr
    assert (project / "params.json").read_bytes() == original
    assert run_ids(project) == []


def test_run_json_sends_the_commands_stdout_to_stderr(project: Path) -> None:
    proc = cli(project, "run", "--json", "--", sys.executable, "train.py")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)  # the JSON alone
    assert rec["metrics"]["accuracy"] == 0.99
    assert "trained 0.1" in proc.stderr


def _bare_venv(where: Path) -> Path:
    import venv

    venv.EnvBuilder(with_pip=False).create(where)
    return where / "bin"


API = """\
import json, gitops_ml
p = gitops_ml.current_params()
with gitops_ml.start_run() as run:
    run.log_metric("lr_seen", p["lr"])
    open("model.bin", "wb").write(b"w" * 10)
    run.log_artifact("model.bin")
"""


def test_the_api_is_importable_in_a_projects_own_venv(tmp_path: Path) -> None:
    """gitops-ml installed apart (pipx), the project in a venv without it."""
    repo = make_project(tmp_path / "p")
    write(repo / "api.py", API)
    bin_dir = _bare_venv(tmp_path / "projvenv")
    probe = subprocess.run(
        [bin_dir / "python", "-c", "import gitops_ml"], capture_output=True, cwd=tmp_path
    )
    assert probe.returncode != 0  # the venv itself cannot import it
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    proc = cli(repo, "run", "-p", "lr=0.4", "--", "python", "api.py", env={"PATH": path})
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(repo)
    rec = record(repo, run_id)
    assert rec["metrics"]["lr_seen"] == 0.4
    assert [a["path"] for a in rec["artifacts"]] == ["model.bin"]
    assert rec["environment"]["executable"].startswith(str(tmp_path / "projvenv"))
