"""A small ML project with runs on its main branch and on a pull-request branch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import cli, git, run_ids, write

TRAIN = """\
import json, os
p = json.load(open("params.json"))
acc = 0.5 + p["lr"] * p.get("gain", 1)
if os.path.exists("boost.txt"):  # a local, ignored file: not part of any snapshot
    acc += float(open("boost.txt").read())
json.dump({"accuracy": round(acc, 6), "loss": round(1 - acc, 6)}, open("metrics.json", "w"))
print("trained", p)
"""

CONFIG = """\
params: params.json
metrics: metrics.json
primary: accuracy
lockfile: requirements.txt
ci:
  train: python train.py
  allowed_regression: abs:0.01
  grid:
    lr: [0.1, 0.2]
    seed: [1, 2]
"""


def make(root: Path, config: str = CONFIG, params: dict[str, object] | None = None) -> Path:
    """The project on ``main`` with two recorded runs (accuracy 0.6 and 0.7)."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(root / "train.py", TRAIN)
    write(root / "params.json", json.dumps(params or {"lr": 0.1, "seed": 1}))
    write(root / "requirements.txt", "# stdlib only\n")
    write(root / "gitops-ml.yaml", config)
    write(root / ".gitignore", "metrics.json\nboost.txt\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    record(root, "-p", "lr=0.1", "-n", "base-small")
    record(root, "-p", "lr=0.2", "-n", "base-big")
    return root


def record(repo: Path, *args: str) -> str:
    """``gitops-ml run ARGS -- python train.py``; the new run's id."""
    before = set(run_ids(repo))
    proc = cli(repo, "run", *args, "--", "python", "train.py")
    assert proc.returncode == 0, proc.stderr
    (new,) = set(run_ids(repo)) - before
    return new


def branch(
    repo: Path, name: str, params: dict[str, object] | None = None, train: str | None = None
) -> str:
    """A new branch off main with one commit (params and/or code changed); its sha."""
    git(repo, "checkout", "-q", "-b", name, "main")
    if params is not None:
        write(repo / "params.json", json.dumps(params))
    if train is not None:
        write(repo / "train.py", train)
    git(repo, "commit", "-q", "-am", f"change on {name}")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One uv package cache for the session (each test's HOME is fresh)."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
