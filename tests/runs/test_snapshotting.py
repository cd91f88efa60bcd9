"""What a run's snapshot holds: tracked files inside declared data stay code; files that
may hold secrets are left out (and never reach any store)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import all_objects_text, cli, git, make_project, run_ids, write
from tests.runs.test_recorder import record


def _data_project(tmp_path: Path) -> Path:
    repo = make_project(
        tmp_path / "p", config="params: params.json\nmetrics: metrics.json\ndata: data\n"
    )
    write(repo / "data" / ".gitignore", "*\n!.gitignore\n")
    write(repo / "data" / "train.csv", "a,b\n1,2\n")
    git(repo, "add", "data/.gitignore")
    git(repo, "commit", "-qm", "data dir with its own .gitignore (as DVC projects keep)")
    return repo


def test_tracked_files_inside_declared_data_stay_in_the_snapshot(tmp_path: Path) -> None:
    repo = _data_project(tmp_path)
    proc = cli(repo, "run", "--json", "--", "true")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["git"]["dirty"] is False, "a clean work tree is not dirty"
    head_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    assert rec["git"]["tree"] == head_tree
    assert git(repo, "show", f"refs/runs/{rec['id']}:data/.gitignore") == "*\n!.gitignore\n"
    # the untracked data itself is still never in git
    assert b"a,b\n1,2" not in all_objects_text(repo)


def test_a_changed_tracked_file_inside_data_is_snapshotted_as_changed(tmp_path: Path) -> None:
    repo = _data_project(tmp_path)
    write(repo / "data" / ".gitignore", "*\n!.gitignore\n# edited\n")
    proc = cli(repo, "run", "--json", "--", "true")
    rec = json.loads(proc.stdout)
    assert rec["git"]["dirty"] is True
    assert git(repo, "show", f"refs/runs/{rec['id']}:data/.gitignore").endswith("# edited\n")


SECRET = "s3cr3t-VALUE-9f8e7d6c5b4a"


def _scan_everything(repo: Path, outputs: list[str]) -> None:
    """The secret is nowhere: object store, data store, any output."""
    assert SECRET.encode() not in all_objects_text(repo)
    state = repo / ".git" / "gitops-ml"
    for path in state.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    for text in outputs:
        assert SECRET not in text


def test_secret_bearing_files_are_left_out_of_snapshots(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    write(repo / ".env", f"API_TOKEN={SECRET}\n")
    write(repo / ".env.production", f"DB_PASSWORD={SECRET}\n")
    write(repo / "deploy" / "id_rsa", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n")
    write(repo / "certs" / "server.pem", f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n")
    write(repo / ".aws" / "credentials", f"[default]\naws_secret_access_key = {SECRET}\n")
    write(repo / "gcp" / "service-account.json", json.dumps({"private_key": SECRET}))
    write(repo / ".netrc", f"machine x login y password {SECRET}\n")
    write(repo / "env.example", "API_TOKEN=\n")  # not a secret-bearing name: kept
    proc = cli(repo, "run", "--json", "--", sys.executable, "train.py")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    tree = git(repo, "ls-tree", "-r", "--name-only", f"refs/runs/{rec['id']}").split()
    for left_out in (
        ".env",
        ".env.production",
        "deploy/id_rsa",
        "certs/server.pem",
        ".aws/credentials",
        "gcp/service-account.json",
        ".netrc",
    ):
        assert left_out not in tree
        assert left_out in proc.stderr  # the warning names it
    assert "env.example" in tree
    assert {".env", ".netrc"} <= {s["path"] for s in rec["skipped"]}
    assert "secret" in proc.stderr
    # --isolated runs from the snapshot: the secret is not there either
    iso = cli(
        repo,
        "run",
        "--isolated",
        "--",
        sys.executable,
        "-c",
        "import os; print(os.path.exists('.env'))",
    )
    assert iso.returncode == 0 and iso.stdout == "False\n"
    _scan_everything(repo, [proc.stdout, proc.stderr, iso.stdout, iso.stderr])


def test_the_secret_file_list_is_configurable(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p",
        config=(
            "params: params.json\nmetrics: metrics.json\n"
            "secrets_exclude: ['*.vault', '!.env.example']\n"
        ),
    )
    write(repo / "keys.vault", SECRET)
    write(repo / ".env", SECRET)
    write(repo / ".env.example", "TOKEN=\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(repo)
    tree = git(repo, "ls-tree", "-r", "--name-only", f"refs/runs/{run_id}").split()
    assert "keys.vault" not in tree and ".env" not in tree  # the defaults still hold
    assert ".env.example" in tree  # taken off the list with '!'
    _scan_everything(repo, [proc.stdout, proc.stderr])
    assert record(repo, run_id)["exit_code"] == 0


def test_a_same_size_edit_in_the_same_second_as_the_index_is_snapshotted(project: Path) -> None:
    """git trusts an index entry whose stat matches unless the index is no newer than the
    file (racy clean); the snapshot's copy of the index must keep that evidence."""
    import os
    import time

    params, index = project / "params.json", project / ".git" / "index"
    for _ in range(50):
        params.write_text('{"lr": 0.1, "seed": 1}')
        git(project, "add", "params.json")
        params.write_text('{"lr": 0.7, "seed": 1}')  # same size, same second
        f, i = os.stat(params), os.stat(index)
        if int(f.st_mtime) == int(i.st_mtime) == int(f.st_ctime):
            break
    else:
        raise AssertionError("could not edit within the index's second")
    time.sleep(1.2)  # the run starts in a later second
    proc = cli(project, "run", "--json", "--", "true")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    snap = git(project, "show", f"refs/runs/{rec['id']}:params.json")
    assert json.loads(snap)["lr"] == 0.7 and rec["params"]["lr"] == 0.7


def test_untracked_data_stays_out_and_tracked_changes_go_in_when_data_is_not_ignored(
    tmp_path: Path,
) -> None:
    repo = make_project(
        tmp_path / "p", config="params: params.json\nmetrics: metrics.json\ndata: data\n"
    )
    write(repo / "data" / "README.md", "about the data\n")
    git(repo, "add", "data/README.md")
    git(repo, "commit", "-qm", "a tracked readme in data")
    write(repo / "data" / "README.md", "about the data, edited\n")
    write(repo / "data" / "big.csv", "x,y\n" * 1000)  # untracked, not ignored
    proc = cli(repo, "run", "--json", "--", "true")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    tree = git(repo, "ls-tree", "-r", "--name-only", f"refs/runs/{rec['id']}").split()
    assert "data/README.md" in tree and "data/big.csv" not in tree
    readme = git(repo, "show", f"refs/runs/{rec['id']}:data/README.md")
    assert readme == "about the data, edited\n"
