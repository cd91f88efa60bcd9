"""Fixture repositories and files under ``bench/.work`` (rebuilt every run, stdlib + git).

- a work tree of N files x 10 KiB (``src/aX/bY/fZ.txt``, as the peers' ``gen_fixtures.py``),
  committed, then 100 files changed and 50 untracked files added;
- a DVC repo with one trivial stage (as the peers' ``bench_dvc.sh``);
- a small repo holding N gitops-ml runs: one recorded for real by ``gitops-ml run``, the
  rest written by one ``git fast-import`` stream in the same shape (commit under
  ``refs/runs/<ULID>`` whose tree is the snapshot and whose parent is HEAD, message
  ``gitops-ml run <ID>`` + the JSON record, one notes line per run on HEAD), refs packed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from peers import BENCH, QUIET_ENV, Tool

WORK = BENCH / ".work"
_ALPH = "abcdefghijklmnopqrstuvwxyz0123456789 \n"
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


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


def ulid(ms: int, rng: random.Random) -> str:
    value = ms << 80 | rng.getrandbits(80)
    return "".join(_ULID[(value >> shift) & 31] for shift in range(125, -5, -5))


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _data(w: list[bytes], payload: bytes) -> None:
    w.append(b"data %d\n" % len(payload))
    w.append(payload)
    w.append(b"\n")


def small_project(top: Path) -> None:
    """A tiny training project: a script, params, config, a 1 KB artifact (ignored)."""
    (top / "train.py").write_text("print('training')\n")
    (top / "params.yaml").write_text("lr: 0.1\nepochs: 3\n")
    (top / "gitops-ml.yaml").write_text("params: params.yaml\nmetrics: metrics.json\n")
    (top / ".gitignore").write_text("artifact.bin\nmetrics.json\n")
    (top / "artifact.bin").write_bytes(random.Random(7).randbytes(1024))


def runs_repo(gm: Tool, n: int) -> Path:
    """A small repo with ``n`` runs (1 real + n-1 written in gitops-ml's shape), refs packed."""
    top = fresh_dir("runs")
    init_repo(top)
    small_project(top)
    git(["add", "-A"], top)
    git(["commit", "-q", "-m", "project"], top)
    env = {**os.environ, **QUIET_ENV}
    exe = gm.script("gitops-ml")
    out = subprocess.run(
        [str(exe), "run", "--json", "--", "true"], cwd=top, env=env, capture_output=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"gitops-ml run failed: {out.stderr.decode()[-2000:]}")
    template: dict[str, Any] = json.loads(out.stdout)
    real_id = template["id"]
    commit = git(["rev-parse", f"refs/runs/{real_id}"], top)
    head = git(["rev-parse", "HEAD"], top)
    raw = git(["cat-file", "commit", commit], top)
    headers, _, message = raw.partition("\n\n")
    tree = headers.split("\n", 1)[0].split()[1]
    if tree != git(["rev-parse", "HEAD^{tree}"], top):
        raise RuntimeError("the real run's snapshot differs from HEAD's tree; fixture would lie")
    # what the commit message holds is exactly the record, minus what runs ls adds
    stored: dict[str, Any] = json.loads(message.split("\n\n", 1)[1])
    author = next(h for h in headers.splitlines() if h.startswith("author "))
    ident = author[len("author ") :].rsplit(" ", 2)[0]
    notes_ref = "refs/notes/gitops-ml"
    notes_old = git(["rev-parse", notes_ref], top)
    note_old = git(["notes", f"--ref={notes_ref}", "show", head], top)
    note_line: dict[str, Any] = json.loads(note_old.splitlines()[-1])
    write_runs_stream(
        top,
        n - 1,
        stored=stored,
        note_line=note_line,
        note_old=note_old,
        ident=ident,
        head=head,
        notes_old=notes_old,
    )
    git(["pack-refs", "--all"], top)
    got = len(git(["for-each-ref", "refs/runs"], top).splitlines())
    if got != n:
        raise RuntimeError(f"runs repo holds {got} runs, wanted {n}")
    return top


def write_runs_stream(
    top: Path,
    count: int,
    *,
    stored: Mapping[str, Any],
    note_line: Mapping[str, Any],
    note_old: str,
    ident: str,
    head: str,
    notes_old: str,
) -> None:
    rng = random.Random(2024)
    base_ms = int(time.time() * 1000) - count * 60_000
    w: list[bytes] = []
    lines = [note_old.rstrip("\n")]
    for i in range(count):
        ms = base_ms + i * 60_000
        run_id = ulid(ms, rng)
        rec = json.loads(json.dumps(stored))
        rec["id"] = run_id
        rec["params"] = {f"p{j}": round(rng.random(), 6) for j in range(10)}
        rec["metrics"] = {f"m{j}": round(rng.random(), 6) for j in range(10)}
        rec["started"] = _iso(ms)
        rec["ended"] = _iso(ms + 1500)
        rec["duration"] = 1.5
        rec["command"] = ["python", "train.py"]
        body = json.dumps(rec, sort_keys=True, separators=(",", ":"))
        w.append(f"commit refs/runs/{run_id}\n".encode())
        stamp = f"{ident} {ms // 1000} +0000\n"
        w.append(f"author {stamp}committer {stamp}".encode())
        _data(w, f"gitops-ml run {run_id}\n\n{body}\n".encode())
        w.append(f"from {head}\n\n".encode())
        note = dict(note_line)
        note.update(run=run_id, metrics=rec["metrics"], started=rec["started"])
        lines.append(json.dumps(note, sort_keys=True, separators=(",", ":")))
    stamp = f"{ident} {int(time.time())} +0000\n"
    w.append(b"commit refs/notes/gitops-ml\n")
    w.append(f"committer {stamp}".encode())
    _data(w, f"gitops-ml: {count} runs\n".encode())
    w.append(f"from {notes_old}\n".encode())
    w.append(f"N inline {head}\n".encode())
    _data(w, ("\n".join(lines) + "\n").encode())
    git(["fast-import", "--quiet", "--force"], top, data=b"".join(w))
