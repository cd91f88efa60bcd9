"""The Python API on its own (not under ``gitops-ml run``): one run per with-block."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import cli, cli_json, git, run_ids, write

SCRIPT = textwrap.dedent(
    """\
    import gitops_ml
    with gitops_ml.start_run(params={"lr": 0.1, "net": {"depth": 4}}, name="api", tags=["nb"]) as run:
        assert not run.nested
        run.log_metrics({"accuracy": 0.93})
        run.log_metric("loss", 0.2)
        run.log_param("batch", 64)
        open("model.pkl", "wb").write(b"\\x00" * 1024)
        art = run.log_artifact("model.pkl")
    print(run.id, run.record["git"]["snapshot"], art["hash"])
    """
)


def test_standalone_api_records_one_run(project: Path) -> None:
    write(project / "nb.py", SCRIPT)
    before = git(project, "status", "--porcelain")
    proc = subprocess.run([sys.executable, "nb.py"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run_id, snapshot, digest = proc.stdout.split()
    assert run_ids(project) == [run_id]
    assert git(project, "rev-parse", f"refs/runs/{run_id}").strip() == snapshot
    rec = cli_json(project, "runs", "show", run_id)
    assert rec["name"] == "api" and rec["tags"] == ["nb"] and rec["exit_code"] == 0
    # params: the params file's, then the API's (nested as dotted keys)
    assert rec["params"] == {"lr": 0.1, "seed": 1, "net.depth": 4, "batch": 64}
    assert rec["metrics"] == {"accuracy": 0.93, "loss": 0.2}
    assert rec["artifacts"] == [
        {"path": "model.pkl", "hash": digest, "size": 1024, "files": 1, "kind": "file"}
    ]
    assert rec["command"] == ["python", "nb.py"]
    assert (project / ".git/gitops-ml/cache" / digest[:2] / digest[2:]).read_bytes() == b"\0" * 1024
    # made on HEAD: the run commit's parent (no notes line in contract v2)
    assert git(project, "rev-parse", f"refs/runs/{run_id}^") == git(project, "rev-parse", "HEAD")
    assert git(project, "status", "--porcelain") == "?? model.pkl\n" + before  # its own file only


def test_exception_in_the_block_records_exit_1_and_reraises(project: Path) -> None:
    write(
        project / "boom.py",
        "import gitops_ml\nwith gitops_ml.start_run() as run:\n"
        "    run.log_metric('step', 3)\n    raise ValueError('diverged')\n",
    )
    proc = subprocess.run([sys.executable, "boom.py"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "ValueError: diverged" in proc.stderr  # the user's own exception, re-raised
    [run_id] = run_ids(project)
    rec = cli_json(project, "runs", "show", run_id)
    assert rec["exit_code"] == 1 and rec["metrics"] == {"step": 3}


def test_several_runs_in_one_process_and_load_run(project: Path) -> None:
    write(
        project / "grid.py",
        "import gitops_ml\nids = []\nfor lr in (0.1, 0.2, 0.3):\n"
        "    with gitops_ml.start_run(params={'lr2': lr}) as run:\n"
        "        run.log_metric('acc', 1 - lr)\n    ids.append(run.id)\n"
        "rec = gitops_ml.load_run(ids[1][:14].lower())\nprint(rec['params']['lr2'], len(set(ids)))\n",
    )
    proc = subprocess.run([sys.executable, "grid.py"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0.2", "3"]
    assert len(run_ids(project)) == 3


def test_log_outside_a_run_is_a_clear_error(project: Path) -> None:
    write(project / "bad.py", "import gitops_ml\nr = gitops_ml.start_run()\nr.log_metric('a', 1)\n")
    proc = subprocess.run([sys.executable, "bad.py"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 1 and "outside 'with start_run()" in proc.stderr
    assert run_ids(project) == []


def test_seeds_and_tags_logged_from_python(project: Path) -> None:
    write(
        project / "seeded.py",
        "import gitops_ml\n"
        "with gitops_ml.start_run(params={'lr': 0.2}, tags=['api']) as run:\n"
        "    run.log_seeds(numpy=42, torch=7)\n"
        "    run.set_tags('seeded')\n",
    )
    proc = subprocess.run(
        [sys.executable, "seeded.py"], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(project)
    rec = json.loads(cli(project, "runs", "show", run_id, "--json").stdout)
    assert rec["seeds"] == {"seed": 1, "numpy": 42, "torch": 7}  # params.json has seed: 1
    assert rec["tags"] == ["api", "seeded"]
    assert rec["params"]["lr"] == 0.2
