"""Figure 3: list every run: `gitops-ml runs ls --json` vs MLflow `search_runs`."""

from __future__ import annotations

import glob
import json
import os
import statistics
import subprocess

import fixtures
import harness
from context import Ctx, log
from harness import Cmd, Stats
from peers import tool_env
from report import Row, ms, times, verdict

MLFLOW_SEARCH = (
    "import mlflow; mlflow.set_tracking_uri('sqlite:///mlflow.db'); "
    "df = mlflow.search_runs(experiment_names=['bench']); assert len(df) >= {n}, len(df)"
)


def fig3_list(ctx: Ctx) -> list[Row]:
    n = ctx.sizes.runs
    log(f"fig 3: fixture: {n:,} gitops-ml runs (1 recorded, the rest by fast-import)")
    top = fixtures.runs_repo(ctx.gm, n)
    env = tool_env()
    gm = ctx.gm_script()
    out = subprocess.run(
        [gm, "runs", "ls", "--json"],
        cwd=top,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    )
    listed = len(json.loads(out.stdout))
    if listed != n:
        raise RuntimeError(f"gitops-ml runs ls --json listed {listed} runs, expected {n}")
    mlw, store = ctx.mlflow_store()
    filled = mlw.call("fill", total=n)
    log(
        f"fig 3: MLflow store topped up by {filled['runs']:,} runs ({filled['ms_per_run']:.1f} ms/run)"
    )

    def cold() -> None:
        for path in glob.glob(str(top / ".git" / "gitops-ml" / "index*")):
            os.unlink(path)

    cmds = {
        "warm": Cmd([gm, "runs", "ls", "--json"], top, env),
        "cold": Cmd([gm, "runs", "ls", "--json"], top, env, setup=cold),
        "mlflow": Cmd([str(ctx.mlflow.python), "-c", MLFLOW_SEARCH.format(n=n)], store, env),
    }
    rounds = ctx.sizes.list_rounds
    log(f"fig 3: {rounds} alternating rounds (warm, cold, MLflow whole process) + in-process")
    res = harness.alternate(cmds, rounds)
    bad = harness.check_ok(res)
    if bad:
        raise RuntimeError(f"non-zero exit in figure 3: {bad}")
    gmw = ctx.worker(ctx.gm.python, "gm_worker.py", top)
    gmw.call("setup", workdir=str(top))
    inproc_ml, inproc_gm = Stats(), Stats()
    for _ in range(rounds):
        got = mlw.call("search", reps=1)
        if got["rows"] < n:
            raise RuntimeError(f"MLflow search_runs returned {got['rows']} rows, expected {n}")
        inproc_ml.wall += got["times"]
        inproc_gm.wall += gmw.call("list_runs", reps=1)["times"]
    warm, cold_s, whole = res["warm"], res["cold"], res["mlflow"]
    rows = []
    for label, ours in (("warm index", warm), ("cold (index deleted)", cold_s)):
        for peer, theirs in (
            ("MLflow `search_runs`, whole process incl. import", whole),
            ("MLflow `search_runs`, in-process", inproc_ml),
        ):
            ratio = theirs.median / ours.median
            ok = ratio >= 10.0 and ours.median < 0.3
            rows.append(
                Row(
                    "3",
                    f"`gitops-ml runs ls --json`, {n:,} runs, {label}, whole process",
                    ms(ours.median),
                    peer,
                    ms(theirs.median),
                    times(ratio, "faster"),
                    ">= 10x faster and < 300 ms",
                    verdict(ok),
                )
            )
    rows[0].note = (
        f"MLflow SQLite store of {n:,} runs, 10 params + 10 metrics each; search_runs returns a "
        f"pandas frame of all of them. gitops-ml in-process index load: {ms(inproc_gm.median)} "
        f"(median of {rounds})"
    )
    rows[0].data = {
        "warm": warm.summary(),
        "cold": cold_s.summary(),
        "mlflow_whole": whole.summary(),
        "mlflow_inproc": inproc_ml.summary(),
        "gitops_ml_inproc": inproc_gm.summary(),
        "mlflow_fill": filled,
        "inproc_ml_median_ms": round(statistics.median(inproc_ml.wall) * 1000, 1),
    }
    return rows
