"""Bulk fixture writer: a repository holding N runs on one commit, made in seconds.

Used only by the benchmarks (``cases_scale``, the query figures), never by gitops-ml.

How the fixture is made (so its numbers can be trusted):

1. The bundled example project (``templates/example``) is copied into a new repository
   and committed: the runs' snapshot is that project.
2. ONE run is recorded for real with ``gitops-ml run`` (its command writes the example's
   metrics and model), so the record's shape, its environment entry under
   ``refs/gitops-ml/environments`` and the snapshot tree are exactly what gitops-ml writes.
3. N-1 more runs are written by one ``git fast-import`` stream in that same shape: a
   commit under ``refs/runs/<ULID>`` whose parent is HEAD and whose tree is the real run's
   snapshot (HEAD's tree: checked), message ``gitops-ml run <id>`` + the record as JSON
   (schema 2) with 10 params ``p0..p9`` and 10 metrics ``m0..m9`` of its own, times one
   minute apart, the real run's environment fingerprint.
4. Refs are packed (``git pack-refs --all``); objects are in the pack fast-import wrote.
   With ``--compact KEEP`` the runs are then compacted with ``gitops-ml runs compact``.

    python bench/bulk_runs.py DIR --runs 100000 [--compact 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
QUIET = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(args: list[str], cwd: Path, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=data, capture_output=True, env={**os.environ, **QUIET}
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])} failed: {proc.stderr.decode()[-2000:]}")
    return proc.stdout.decode().strip()


def gitops_ml(args: list[str], cwd: Path, exe: list[str]) -> str:
    proc = subprocess.run(
        [*exe, *args], cwd=cwd, capture_output=True, env={**os.environ, **QUIET}, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"gitops-ml {' '.join(args[:2])} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def ulid(ms: int, rng: random.Random) -> str:
    value = ms << 80 | rng.getrandbits(80)
    return "".join(_ULID[(value >> shift) & 31] for shift in range(125, -5, -5))


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def example_repo(top: Path) -> None:
    """The bundled example project, committed, in a new repository at ``top``."""
    shutil.rmtree(top, ignore_errors=True)
    shutil.copytree(
        ROOT / "templates" / "example",
        top,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    (top / "dot-gitignore").rename(top / ".gitignore")
    git(["init", "-q", "-b", "main", "."], top)
    for key, value in (("gc.auto", "0"), ("commit.gpgsign", "false")):
        git(["config", key, value], top)
    git(["add", "-A"], top)
    git(["commit", "-q", "-m", "Example project"], top)


def write_runs(top: Path, count: int, template: dict[str, Any], *, seed: int = 2024) -> None:
    """``count`` runs in ``template``'s shape on HEAD, one ``git fast-import`` stream."""
    head = git(["rev-parse", "HEAD"], top)
    rng = random.Random(seed)
    base_ms = int(time.time() * 1000) - (count + 1) * 60_000
    ident = "bench <bench@example.com>"
    chunks: list[bytes] = []
    for i in range(count):
        ms = base_ms + i * 60_000
        run_id = ulid(ms, rng)
        rec = dict(template)
        rec["id"] = run_id
        rec["name"] = None
        rec["params"] = {f"p{j}": round(rng.random(), 6) for j in range(10)}
        rec["metrics"] = {f"m{j}": round(rng.random(), 6) for j in range(10)}
        rec["started"] = _iso(ms)
        rec["ended"] = _iso(ms + 1500)
        rec["duration"] = 1.5
        body = json.dumps(rec, sort_keys=True, separators=(",", ":"))
        message = f"gitops-ml run {run_id}\n\n{body}\n".encode()
        stamp = f"{ident} {ms // 1000} +0000\n"
        chunks.append(
            f"commit refs/runs/{run_id}\nauthor {stamp}committer {stamp}".encode()
            + b"data %d\n" % len(message)
            + message
            + f"\nfrom {head}\n\n".encode()
        )
    git(["fast-import", "--quiet", "--force"], top, data=b"".join(chunks))


def make(top: Path, runs: int, *, compact: int | None = None, exe: list[str] | None = None) -> Path:
    """The fixture: ``runs`` runs (1 real + the rest bulk-written) at ``top``."""
    exe = exe or [sys.executable, "-m", "gitops_ml"]
    example_repo(top)
    out = gitops_ml(["run", "--json", "--", sys.executable, "train.py"], top, exe)
    real = json.loads(out[out.index("{") :])
    commit = git(["rev-parse", f"refs/runs/{real['id']}"], top)
    if git(["rev-parse", f"{commit}^{{tree}}"], top) != git(["rev-parse", "HEAD^{tree}"], top):
        raise RuntimeError("the real run's snapshot differs from HEAD's tree: fixture would lie")
    raw = git(["cat-file", "commit", commit], top)
    stored: dict[str, Any] = json.loads(raw.split("\n\n", 1)[1].split("\n\n", 1)[1])
    if stored.get("schema") != 2 or "distributions" in stored["environment"]:
        raise RuntimeError("the installed gitops-ml does not write records of schema 2")
    stored["command"] = ["python", "train.py"]
    write_runs(top, runs - 1, stored)
    git(["pack-refs", "--all", "--prune"], top)
    if compact is not None:
        gitops_ml(["runs", "compact", "--keep", str(compact)], top, exe)
    count = "from gitops_ml.core import gitstore as g; print(len(g.list_runs(g.open_repo())))"
    got = int(
        subprocess.run(
            [sys.executable, "-c", count], cwd=top, capture_output=True, text=True, check=True
        ).stdout
    )
    if got != runs:
        raise RuntimeError(f"fixture holds {got} runs, wanted {runs}")
    return top


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--compact", type=int, default=None, metavar="KEEP")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    make(args.dir, args.runs, compact=args.compact)
    print(f"{args.runs} runs in {args.dir} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
