"""gitops-ml-no-data-in-git: data paths and large files stay out of git objects."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import cli, git, make_project, write
from tests.hooks.conftest import run_hook

CONFIG = "params: params.json\nmetrics: metrics.json\ndata: data/\nmax_untracked_mb: 0.01\n"


def check(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gitops-ml-no-data-in-git", *args], cwd=repo, capture_output=True, text=True
    )


def _repo(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", config=CONFIG)


def test_file_in_data_path_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "data" / "train.csv", "a,b\n1,2\n")
    proc = check(repo, "data/train.csv", "train.py")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "data/train.csv: inside the data path 'data' declared in gitops-ml.yaml: data is "
        "recorded by hash, not committed; unstage it ('git rm --cached data/train.csv'), "
        "then 'gitops-ml data push' stores its current content in the data store"
    ]


def test_large_file_is_refused_with_the_limit(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "model.bin", "x" * 20_000)
    proc = check(repo, "model.bin")
    assert proc.returncode == 1
    assert proc.stdout.startswith(
        "model.bin: 19.5 KB, above the 10.2 KB limit (max_untracked_mb in gitops-ml.yaml): "
        "track it as data instead: list it under 'data:' in gitops-ml.yaml"
    )
    assert "gitops-ml data push" in proc.stdout
    assert check(repo, "--max-kb", "100", "model.bin").returncode == 0
    proc = check(repo, "--max-kb", "1", "train.py", "model.bin")
    assert proc.returncode == 1
    assert "above the 1.0 KB limit (--max-kb)" in proc.stdout


def test_small_files_pass_and_default_limit(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    write(repo / "medium.bin", "x" * 200_000)  # below the default 10 MB
    assert check(repo, "medium.bin", "train.py").returncode == 0


def test_without_names_reads_the_index(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "data" / "x.csv", "1\n")
    git(repo, "add", "-f", "data/x.csv")
    proc = check(repo)
    assert proc.returncode == 1
    assert proc.stdout.startswith("data/x.csv: inside the data path 'data'")


def test_plain_git_hook_refuses_the_commit(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert cli(repo, "init", "--hooks").returncode == 0
    write(repo / "big.bin", "y" * 50_000)
    git(repo, "add", "big.bin")
    proc = subprocess.run(["git", "commit", "-m", "add"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "big.bin: 48.8 KB, above the 10.2 KB limit" in proc.stdout + proc.stderr
    assert git(repo, "log", "--format=%s").splitlines() == ["initial"]


def test_10k_names_accepted(big_repo: Path) -> None:
    """Every name of a 10,000-file repository, and the index read without names: both
    pass (their speed is in bench/cases_hooks.py)."""
    names = git(big_repo, "ls-files").split()
    proc = run_hook(["gitops-ml-no-data-in-git", *names], big_repo)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr
    proc = run_hook(["gitops-ml-no-data-in-git"], big_repo)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr


def test_tracked_files_in_a_data_dir_stay_code(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.json\ndata: data\n")
    write(repo / "data" / ".gitignore", "/*.csv\n")
    write(repo / "data" / "README.md", "how the data is made\n")
    git(repo, "add", "-f", "data/README.md")
    git(repo, "commit", "-qm", "data readme, before data was declared")  # tracked in HEAD
    assert cli(repo, "init", "--hooks").returncode == 0
    write(repo / "data" / "README.md", "how the data is made, v2\n")
    git(repo, "add", "data/.gitignore", "data/README.md")
    proc = subprocess.run(["git", "commit", "-m", "x"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(repo / "data" / "train.csv", "a,b\n")
    git(repo, "add", "-f", "data/train.csv")
    assert check(repo).returncode == 1


def test_following_the_advice_stores_the_refused_file(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "p", config="params: params.json\ndata: data/\nstore: ../store\n"
    )
    write(repo / "data" / "train.csv", "a,b\n1,2\n")
    git(repo, "add", "-f", "data/train.csv")
    proc = check(repo)
    assert proc.returncode == 1
    # the advice, word for word: unstage it, then 'gitops-ml data push'
    assert "git rm --cached data/train.csv" in proc.stdout and "gitops-ml data push" in proc.stdout
    git(repo, "rm", "-q", "--cached", "data/train.csv")
    push = cli(repo, "data", "push")
    assert push.returncode == 0, push.stderr
    from blake3 import blake3

    digest = blake3(b"a,b\n1,2\n").hexdigest()
    assert (tmp_path / "store" / digest[:2] / digest[2:]).read_bytes() == b"a,b\n1,2\n"
    rows = {r["path"]: r for r in json.loads(cli(repo, "data", "status", "--json").stdout)}
    assert rows["data"]["state"] == "new" and rows["data"]["pushed"] is True
    assert check(repo).returncode == 0
