"""``--isolated``: the command gets its own copy of the snapshot and of the declared data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids, write
from tests.runs.test_recorder import record, start_together

# A two-stage pipeline that writes inside its data directory (as prepare/featurize stages
# do), sleeps so that parallel runs overlap, then reads back what it wrote.
FEATURIZE = """\
import json, pathlib, time
p = json.load(open("params.json"))
raw = pathlib.Path("data/raw.txt").read_text()
pathlib.Path("data/features.txt").write_text(f"{raw.strip()}-{p['lr']}")
pathlib.Path("data/raw.txt").write_text("clobbered")
time.sleep(1.0)
got = pathlib.Path("data/features.txt").read_text()
json.dump({"seen": got, "is_link": pathlib.Path("data").is_symlink()}, open("metrics.json", "w"))
"""


def _pipeline(tmp_path: Path) -> Path:
    repo = make_project(
        tmp_path / "p",
        config="params: params.json\nmetrics: metrics.json\ndata: data\n",
        commit=False,
    )
    write(repo / "featurize.py", FEATURIZE)
    write(repo / "data" / "raw.txt", "raw\n")
    write(repo / "data" / "sub" / "keep.bin", "x" * 100)
    write(repo / ".gitignore", "metrics.json\ndata/*\n!data/.gitignore\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pipeline")
    return repo


def test_parallel_isolated_runs_writing_into_data_do_not_interfere(tmp_path: Path) -> None:
    repo = _pipeline(tmp_path)
    lrs = [0.1, 0.2, 0.3]
    results = start_together(
        repo,
        [
            [
                "gitops-ml",
                "run",
                "--isolated",
                "-p",
                f"lr={lr}",
                "--",
                sys.executable,
                "featurize.py",
            ]
            for lr in lrs
        ],
    )
    for r in results:
        assert r.returncode == 0, r.stderr
    seen = sorted(record(repo, i)["metrics"]["seen"] for i in run_ids(repo))
    assert seen == [f"raw-{lr}" for lr in lrs]
    for run_id in run_ids(repo):
        rec = record(repo, run_id)
        assert rec["metrics"]["is_link"] is False
        [data] = rec["data"]
        assert data["path"] == "data" and data["files"] == 2
    # the main work tree's data is untouched
    assert (repo / "data" / "raw.txt").read_text() == "raw\n"
    assert not (repo / "data" / "features.txt").exists()
    assert not (repo / "metrics.json").exists()
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_isolated_data_is_a_private_writable_copy(tmp_path: Path) -> None:
    repo = _pipeline(tmp_path)
    probe = (
        "import json, os, pathlib\n"
        "d = pathlib.Path('data')\n"
        "info = {'link': any(p.is_symlink() for p in [d, *d.rglob('*')]),\n"
        "        'writable': os.access('data/raw.txt', os.W_OK),\n"
        "        'keep': (d / 'sub' / 'keep.bin').read_text() == 'x' * 100}\n"
        "(d / 'sub' / 'keep.bin').write_text('changed')\n"
        "json.dump(info, open('metrics.json', 'w'))\n"
    )
    write(repo / "probe.py", probe)
    git(repo, "add", "probe.py")
    git(repo, "commit", "-qm", "probe")
    proc = cli(repo, "run", "--isolated", "--", sys.executable, "probe.py")
    assert proc.returncode == 0, proc.stderr
    [run_id] = run_ids(repo)
    assert record(repo, run_id)["metrics"] == {"link": False, "writable": True, "keep": True}
    assert (repo / "data" / "sub" / "keep.bin").read_text() == "x" * 100
    # the content store still holds the recorded bytes (the copy was not a hard link)
    cache = repo / ".git" / "gitops-ml" / "cache"
    blobs = [p.read_bytes() for p in cache.rglob("*") if p.is_file()]
    assert b"x" * 100 in blobs and b"changed" not in blobs


def test_isolated_run_keeps_tracked_files_inside_data(tmp_path: Path) -> None:
    repo = _pipeline(tmp_path)
    write(repo / "data" / ".gitignore", "*.tmp\n")
    git(repo, "add", "-f", "data/.gitignore")
    git(repo, "commit", "-qm", "data gitignore")
    write(
        repo / "show.py",
        "import json\njson.dump({'gi': open('data/.gitignore').read()}, open('metrics.json', 'w'))\n",
    )
    git(repo, "add", "show.py")
    git(repo, "commit", "-qm", "show")
    proc = cli(repo, "run", "--isolated", "--json", "--", sys.executable, "show.py")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["metrics"] == {"gi": "*.tmp\n"}
