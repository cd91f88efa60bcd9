"""Fixture repositories and files under ``bench/.work`` (rebuilt every run, stdlib + git).

- a work tree of N files x 10 KiB (``src/aX/bY/fZ.txt``, as the peers' ``gen_fixtures.py``),
  committed, then 100 files changed and 50 untracked files added;
- a DVC repo with one trivial stage (as the peers' ``bench_dvc.sh``);
- a repo holding N gitops-ml runs (``bulk_runs``: one recorded for real by ``gitops-ml
  run``, the rest written by one ``git fast-import`` stream in storage contract v2's shape:
  a commit under ``refs/runs/<ULID>`` whose tree is the snapshot and whose parent is HEAD,
  message ``gitops-ml run <ID>`` + the JSON record, no notes), refs packed.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from peers import BENCH, QUIET_ENV, Tool

WORK = BENCH / ".work"
_ALPH = "abcdefghijklmnopqrstuvwxyz0123456789 \n"


def git(args: Sequence[str], cwd: Path, data: bytes | None = None) -> str:
    env = {**os.environ, **QUIET_ENV}
    out = subprocess.run(
        ["git", *args], cwd=cwd, input=data, capture_output=True, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])} failed: {out.stderr.decode()[-2000:]}")
    return out.stdout.decode().strip()


def fresh_dir(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def init_repo(path: Path) -> None:
    git(["init", "-q", "-b", "main", "."], path)
    for key, value in (
        ("gc.auto", "0"),
        ("user.name", "bench"),
        ("user.email", "bench@example.com"),
        ("commit.gpgsign", "false"),
    ):
        git(["config", key, value], path)


def _text(rng: random.Random, size: int) -> bytes:
    return "".join(rng.choice(_ALPH) for _ in range(size)).encode()


def gen_tree(top: Path, n: int, size: int) -> list[str]:
    """``n`` text files of ``size`` bytes in a 10 x 10 x n/100 layout; their relative paths."""
    rng = random.Random(1234)
    block = _text(rng, size * 2)
    per = max(1, n // 100)
    names = []
    i = 0
    for a in range(10):
        for b in range(10):
            leaf = top / "src" / f"a{a}" / f"b{b}"
            leaf.mkdir(parents=True, exist_ok=True)
            for z in range(per):
                off = (i * 7919) % size
                (leaf / f"f{z}.txt").write_bytes(
                    f"file {i}\n".encode() + block[off : off + size - 16]
                )
                names.append(f"src/a{a}/b{b}/f{z}.txt")
                i += 1
    return names


def modify(top: Path, names: Sequence[str], k: int) -> list[str]:
    """Append a line to ``k`` tracked files spread evenly over the tree."""
    step = max(1, len(names) // k)
    picked = list(names[::step][:k])
    for rel in picked:
        with open(top / rel, "ab") as fh:
            fh.write(b"modified\n")
    return picked


def untracked(top: Path, k: int, size: int) -> None:
    rng = random.Random(99)
    new = top / "new"
    new.mkdir(exist_ok=True)
    for z in range(k):
        (new / f"u{z}.txt").write_bytes(_text(rng, size))


CONFIG = """\
params: params.yaml
metrics: metrics.json
data:
  - data/
"""


def worktree_repo(n_files: int, changed: int = 100, new: int = 50) -> tuple[Path, list[str]]:
    """The figure-1 repo: n files committed, ``changed`` modified, ``new`` untracked."""
    top = fresh_dir("worktree")
    init_repo(top)
    names = gen_tree(top, n_files, 10 * 1024)
    (top / "gitops-ml.yaml").write_text(CONFIG)
    (top / "params.yaml").write_text("lr: 0.1\nepochs: 3\n")
    (top / ".gitignore").write_text("/data/\n")
    (top / "data").mkdir()
    (top / "data" / "small.csv").write_text("a,b\n1,2\n")
    git(["add", "-A"], top)
    git(["commit", "-q", "-m", "fixture"], top)
    modify(top, names, changed)
    untracked(top, new, 10 * 1024)
    return top, names


DVC_YAML = """\
stages:
  train:
    cmd: >-
      {py} -c "import json,re; v=float(re.search(r'param: *(\\S+)', open('params.yaml').read()).group(1)); json.dump({{'m0': v*2}}, open('metrics.json','w'))"
    params:
      - param
    metrics:
      - metrics.json:
          cache: false
"""


def dvc_repo(dvc: Tool) -> Path:
    """A fresh git + DVC repo with one trivial stage, reproduced and committed."""
    top = fresh_dir("dvc")
    init_repo(top)
    env = {**os.environ, **QUIET_ENV}
    exe = str(dvc.bindir / "dvc")
    subprocess.run([exe, "init", "-q"], cwd=top, env=env, check=True)
    subprocess.run([exe, "config", "core.analytics", "false"], cwd=top, env=env, check=True)
    (top / "params.yaml").write_text("param: 0.1\n")
    py = shutil.which("python3") or "python3"
    (top / "dvc.yaml").write_text(DVC_YAML.format(py=py))
    subprocess.run([exe, "repro", "-q"], cwd=top, env=env, check=True)
    git(["add", "-A"], top)
    git(["commit", "-q", "-m", "baseline"], top)
    return top


# ---------------------------------------------------------------- 10,000 runs


def small_project(top: Path) -> None:
    """A tiny training project: a script, params, config, a 1 KB artifact (ignored)."""
    (top / "train.py").write_text("print('training')\n")
    (top / "params.yaml").write_text("lr: 0.1\nepochs: 3\n")
    (top / "gitops-ml.yaml").write_text("params: params.yaml\nmetrics: metrics.json\n")
    (top / ".gitignore").write_text("artifact.bin\nmetrics.json\n")
    (top / "artifact.bin").write_bytes(random.Random(7).randbytes(1024))


def runs_repo(gm: Tool, n: int) -> Path:
    """A repo holding ``n`` runs in storage contract v2's shape: one recorded for real,
    the rest written by :mod:`bulk_runs` (the one fixture writer, see its docstring)."""
    import bulk_runs

    top = fresh_dir("runs")
    bulk_runs.make(top, n, exe=[str(gm.script("gitops-ml"))])
    return top
