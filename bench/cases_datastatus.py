"""Figure 9: `gitops-ml data status` with nothing changed vs `git status` on the same files.

Two repositories hold the same N files under `data/`: in one they are declared data
(`data: data/` in gitops-ml.yaml, recorded by one `gitops-ml run`, stat cache warm), in the
other they are tracked by git (committed, index fresh). Both commands alternate in one
run, whole processes, stdout to /dev/null; the ratio is the median of the per-round
ratios. Measured at two sizes to show how it grows. Target (issue 7): at most 2x at
10,000 files.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import fixtures
import harness
from context import Ctx, log
from harness import Cmd
from peers import tool_env
from report import Row, ms, times, verdict

FILE_BYTES = 1024
TARGET = 2.0

# What any Python implementation pays before doing anything of its own: start the
# interpreter (no site, nothing imported) and lstat every file under data/ once.
FLOOR = """
import os
stack = ["data"]
while stack:
    with os.scandir(stack.pop()) as it:
        for e in it:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
            else:
                e.stat(follow_symlinks=False)
"""


def _files(top: Path, n: int) -> None:
    for i in range(n):
        sub = top / "data" / f"d{i // 100:03d}"
        if i % 100 == 0:
            sub.mkdir(parents=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(FILE_BYTES))


def _fixture(ctx: Ctx, n: int) -> tuple[Path, Path]:
    base = fixtures.fresh_dir(f"datastatus-{n}")
    ours, theirs = base / "declared", base / "tracked"
    env = tool_env()
    for top in (ours, theirs):
        top.mkdir()
        fixtures.init_repo(top)
        _files(top, n)
    (ours / "gitops-ml.yaml").write_text("data: data/\n")
    (ours / ".gitignore").write_text("/data/\n")
    for top in (ours, theirs):
        fixtures.git(["add", "-A"], top)
        fixtures.git(["commit", "-q", "-m", "fixture"], top)
    time.sleep(0.2)  # past the stat cache's racy window: every hash is kept
    gm = ctx.gm_script()
    for args in (["run", "--", "true"], ["data", "status"]):
        # before data status, the steady state: the run's refs older than the runs
        # index's racy window (2 s, else every status asks git for the refs again) and
        # the files older than the current second (else no private git index of them is
        # kept: gitops_ml.core.statindex)
        time.sleep(2.1 if args[0] == "data" else 0)
        code, _ = _once(Cmd([gm, *args], ours, env))
        if code:
            raise RuntimeError(f"gitops-ml {' '.join(args)} failed in {ours}")
    fixtures.git(["status", "--porcelain"], theirs)  # refresh the index stat info
    return ours, theirs


def _once(cmd: Cmd) -> tuple[int, float]:
    wall, _, _, code = harness.timed(cmd)
    return code, wall


def fig9_data_status(ctx: Ctx) -> list[Row]:
    sizes = [ctx.sizes.small_files // 10, ctx.sizes.small_files]
    rows: list[Row] = []
    env = tool_env()
    for n in sizes:
        log(f"fig 9: fixture of {n:,} files, declared and tracked")
        ours, theirs = _fixture(ctx, n)
        cmds = {
            "data status": Cmd([ctx.gm_script(), "data", "status"], ours, env),
            "git status": Cmd(["git", "status"], theirs, env),
            "floor": Cmd([str(ctx.gm.python), "-S", "-c", FLOOR], ours, env),
        }
        res = harness.alternate(cmds, ctx.sizes.rounds)
        bad = harness.check_ok(res)
        if bad:
            raise RuntimeError(f"failed: {bad} (fixture in {ours.parent})")
        a, b, f = res["data status"], res["git status"], res["floor"]
        ratio = harness.paired_ratio(a, b)
        last = n == sizes[-1]
        rows.append(
            Row(
                "9",
                f"`gitops-ml data status`, nothing changed, {n:,} files declared as data",
                ms(a.median),
                f"`git status`, the same {n:,} files tracked",
                ms(b.median),
                times(ratio, "of git"),
                f"<= {TARGET:g}x" if last else "",
                verdict(ratio <= TARGET) if last else "info",
                "whole processes alternated; median of per-round ratios" if not rows else "",
                {"data_status": a.summary(), "git_status": b.summary(), "files": n},
            )
        )
        rows.append(
            Row(
                "9",
                f"Python's floor for {n:,} files: `python -S` that only lstats each once",
                ms(f.median),
                f"`git status`, the same {n:,} files tracked",
                ms(b.median),
                times(harness.paired_ratio(f, b), "of git"),
                "",
                "info",
                "no import, no hashing, no output: what any Python data status costs at least"
                if not rows[:-1]
                else "",
                {"floor": f.summary(), "files": n},
            )
        )
    return rows
