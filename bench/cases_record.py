"""Figures 1 and 2: recording a run, whole process (CLI) and in-process (Python API)."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

import fixtures
import harness
from context import Ctx, log
from harness import Cmd
from peers import tool_env
from report import Row, ms, times, verdict


def _git_snapshot_floor(top: Path) -> str:
    """The peers' 'seeded temp index' snapshot: what any snapshot of this tree costs in git."""
    tmp = top / ".git" / "bench-index"
    return f"cp .git/index {tmp} && GIT_INDEX_FILE={tmp} git add -A && GIT_INDEX_FILE={tmp} exec git write-tree"


def fig1_run(ctx: Ctx) -> list[Row]:
    """`gitops-ml run -- true` vs `git stash create` vs `dvc exp run` (trivial stage)."""
    return _fig1(ctx, with_dvc=True)


def fig1_run_git(ctx: Ctx) -> list[Row]:
    """Figure 1 without DVC (case `rungit`): no peer venv to build, git's figures only."""
    return _fig1(ctx, with_dvc=False)


def _fig1(ctx: Ctx, *, with_dvc: bool) -> list[Row]:
    top, _ = ctx.worktree()
    env = tool_env()
    gm = ctx.gm_script()
    cmds = {
        "gm": Cmd([gm, "run", "--", "true"], top, env),
        "stash": Cmd(["git", "stash", "create"], top, env),
        "floor": Cmd(_git_snapshot_floor(top), top, env),
    }
    if with_dvc:
        dvc_top = fixtures.dvc_repo(ctx.dvc)
        dvc = ctx.dvc.bindir / "dvc"
        cmds["dvc"] = Cmd(f"exec {dvc} exp run -S param=0.$(date +%N)", dvc_top, env)
    n = ctx.sizes.rounds
    log(f"fig 1: {n} alternating rounds of {' / '.join(cmds)}")
    res = harness.alternate(cmds, n)
    bad = harness.check_ok(res)
    if bad:
        raise RuntimeError(f"non-zero exit in figure 1: {bad}")
    g, s, f = res["gm"], res["stash"], res["floor"]
    vs_stash = harness.paired_ratio(g, s)
    files = f"{ctx.sizes.files:,} files, 100 changed, 50 untracked"
    data: dict[str, object] = {k: v.summary() for k, v in res.items()}
    diag = diagnose(ctx, top)
    data["diagnosis"] = diag
    imp = diag["imports"]
    assert isinstance(imp, dict)
    where = (
        f"one traced run: {diag['wall_ms']} ms wall, of which git children "
        f"{diag['git_ms']} ms (excl. the long-lived cat-file --batch) ({len(diag['git_processes'])} processes: "  # type: ignore[arg-type]
        f"{' '.join(diag['git_processes'])}), Python imports {imp['total_ms']:.0f} ms "  # type: ignore[arg-type]
        f"(top: {', '.join(f'{n} {c:.0f}' for n, c in imp['top5'])})"
    )
    rows = [
        Row(
            "1",
            f"`gitops-ml run -- true`, {files} (wall median)",
            ms(g.median),
            "`git stash create`",
            ms(s.median),
            times(vs_stash, "slower"),
            "<= 2x",
            verdict(vs_stash <= 2.0),
            f"median of {n} per-round ratios; git's own snapshot floor (cp index + add -A + write-tree) "
            f"{ms(f.median)}, so gitops-ml = {times(harness.paired_ratio(g, f))} the floor",
            data,
        )
    ]
    if not with_dvc:
        rows[0].note += f"; {where}"
        return rows
    d = res["dvc"]
    vs_dvc = harness.paired_ratio(d, g)
    rows.append(
        Row(
            "1",
            "`gitops-ml run -- true` vs `dvc exp run` (trivial stage)",
            ms(g.median),
            "`dvc exp run -S param=...`",
            ms(d.median),
            times(vs_dvc, "faster"),
            ">= 10x faster",
            verdict(vs_dvc >= 10.0),
            where,
            {},
        )
    )
    return rows


def diagnose(ctx: Ctx, top: Path) -> dict[str, object]:
    """Where `gitops-ml run -- true` spends its time: git children (trace2) and imports."""
    import os
    import tempfile

    from cases_startup import importtime

    with tempfile.NamedTemporaryFile(suffix=".trace2", delete=False) as fh:
        trace = fh.name
    env = {**os.environ, **tool_env(), "GIT_TRACE2_EVENT": trace}
    t0 = time.perf_counter()
    subprocess.run([ctx.gm_script(), "run", "--", "true"], cwd=top, env=env, capture_output=True)
    wall = time.perf_counter() - t0
    names: dict[str, str] = {}
    spent: dict[str, float] = {}
    with open(trace, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            ev = json.loads(line)
            if ev.get("event") == "cmd_name":
                names[ev["sid"]] = ev["name"]
            elif ev.get("event") == "exit":
                spent[ev["sid"]] = float(ev["t_abs"])
    procs = [names.get(sid, "?") for sid in spent]
    # cat-file --batch lives alongside the others: its lifetime is not its cost
    git_s = sum(t for sid, t in spent.items() if names.get(sid) != "cat-file")
    os.unlink(trace)
    imports = importtime(ctx, ctx.gm_script(), ["run", "--", "true"], reps=3, cwd=top)
    return {
        "wall_ms": round(wall * 1000, 1),
        "git_ms": round(git_s * 1000, 1),
        "git_processes": procs,
        "imports": imports,
    }


def _small_repo(name: str) -> Path:
    top = fixtures.fresh_dir(name)
    fixtures.init_repo(top)
    fixtures.small_project(top)
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "project"], top)
    return top


def fig2_log(ctx: Ctx) -> list[Row]:
    """In-process: one run with 10 params, 10 metrics, one 1 KB artifact; MLflow on SQLite."""
    top = _small_repo("log-gm")
    gmw = ctx.worker(ctx.gm.python, "gm_worker.py", top)
    gmw.call("setup", workdir=str(top))
    mlw, _ = ctx.mlflow_store()
    # first run of each process pays lazy imports and connections: not counted
    gmw.call("log", n=1)
    mlw.call("log", n=1)
    ours: list[float] = []
    theirs: list[float] = []
    total, batch = ctx.sizes.log_runs, ctx.sizes.log_batch
    log(f"fig 2: {total} runs each, alternating batches of {batch}")
    while len(ours) < total:
        ours += gmw.call("log", n=batch)
        theirs += mlw.call("log", n=batch)
    got = subprocess.run(
        ["git", "for-each-ref", "--format=x", "refs/runs"], cwd=top, capture_output=True, text=True
    ).stdout.count("x")
    if got != total + 1:
        raise RuntimeError(f"gitops-ml recorded {got} runs, expected {total + 1}")
    a, b = statistics.mean(ours), statistics.mean(theirs)
    ratio = a / b
    return [
        Row(
            "2",
            f"log 1 run in-process (10 params, 10 metrics, 1 KB artifact), mean of {total}",
            ms(a),
            "MLflow, SQLite store",
            ms(b),
            times(ratio, "of MLflow"),
            "<= 0.5x",
            verdict(ratio <= 0.5),
            f"medians {ms(statistics.median(ours))} vs {ms(statistics.median(theirs))}; imports excluded",
            {
                "gitops_ml_ms": [round(x * 1000, 3) for x in ours],
                "mlflow_ms": [round(x * 1000, 3) for x in theirs],
            },
        )
    ]
