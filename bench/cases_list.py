"""Figure 3: list every run: `gitops-ml runs ls --json` vs MLflow `search_runs`."""

from __future__ import annotations

import glob
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import bulk_runs
import fixtures
import harness
from context import WORKERS, Ctx, log
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

    def cold() -> None:  # the index and the listing file copied while it is unchanged
        state = top / ".git" / "gitops-ml"
        for path in [*glob.glob(str(state / "index*")), *glob.glob(str(state / "ls.json"))]:
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


# ---------------------------------------------------------------- 100,000 runs (issue 7)

QUERY_WHERE = "metrics.m3 > 0.9"
QUERY_SORT = "-metrics.m1"
MLFLOW_ALL = (
    "import mlflow; mlflow.set_tracking_uri('sqlite:///mlflow.db'); "
    "df = mlflow.search_runs(experiment_names=['bench'], max_results={n}); "
    "assert len(df) == {n}, len(df)"
)
MLFLOW_QUERY = (
    "import mlflow; mlflow.set_tracking_uri('sqlite:///mlflow.db'); "
    "df = mlflow.search_runs(experiment_names=['bench'], filter_string='metrics.m3 > 0.9', "
    "order_by=['metrics.m1 DESC'], max_results=10); assert len(df) == 10, len(df)"
)


def _gm_fixture(ctx: Ctx, n: int) -> Path:
    """``bench/bulk_runs.py``'s fixture (1 run recorded, the rest by one fast-import stream),
    then copied: fast-import's 100,000 loose refs leave ``refs/runs`` a huge empty folder
    after packing, which a clone (and any real repository) does not have."""
    made = fixtures.fresh_dir("list100k-make")
    bulk_runs.make(made, n, exe=[ctx.gm_script()])
    top = fixtures.WORK / "list100k"
    shutil.rmtree(top, ignore_errors=True)
    shutil.copytree(made, top, symlinks=True)
    shutil.rmtree(made)
    return top


def _mlflow_fixture(ctx: Ctx, n: int) -> tuple[Path, dict[str, Any]]:
    """A SQLite store of ``n`` runs written by ``workers/mlflow_bulk.py`` in MLflow's venv:
    1 run logged through ``MlflowClient``, copied in SQL to the rest (see its docstring)."""
    where = fixtures.fresh_dir("mlflow100k")
    t0 = time.perf_counter()
    subprocess.run(
        [str(ctx.mlflow.python), str(WORKERS / "mlflow_bulk.py"), str(where), "--runs", str(n)],
        env={**os.environ, **tool_env()},
        capture_output=True,
        check=True,
    )
    return where, {"s": time.perf_counter() - t0}


def fig3b_list100k(ctx: Ctx) -> list[Row]:
    """Figure 3 at 100,000 runs: `runs ls --json` (warm, warm index without the listing
    file, cold) and the filtered query vs MLflow's `search_runs` on 100,000 runs, whole
    processes alternated in one loop; MLflow in-process beside it."""
    n = 1_000 if ctx.quick else 100_000
    rounds = 2  # MLflow's whole listing takes ~90 s a call at 100,000 on 2 cores
    env = tool_env()
    gm = ctx.gm_script()
    log(f"fig 3b: fixtures: {n:,} gitops-ml runs (bench/bulk_runs.py), {n:,} MLflow runs")
    t0 = time.perf_counter()
    top = _gm_fixture(ctx, n)
    made = {"gitops_ml_s": time.perf_counter() - t0}
    built = harness.timed(Cmd([gm, "runs", "ls", "--json"], top, env))  # builds the index
    listed = subprocess.run(
        [gm, "runs", "ls", "--json"], cwd=top, env={**os.environ, **env}, capture_output=True
    )
    got = len(json.loads(listed.stdout))
    if got != n:
        raise RuntimeError(f"runs ls --json listed {got} runs, expected {n}")
    store, ml_made = _mlflow_fixture(ctx, n)
    made["mlflow_s"] = ml_made["s"]
    mlw = ctx.worker(ctx.mlflow.python, "mlflow_worker.py", store)
    mlw.call("setup", workdir=str(store), count=False)
    log("fig 3b: MLflow count through search_runs in-process (also its 1st in-process sample)")
    ml_all = mlw.call("search", reps=1, max_results=n)
    if ml_all["rows"] != n:
        raise RuntimeError(f"MLflow search_runs returned {ml_all['rows']} rows, expected {n}")
    state = top / ".git" / "gitops-ml"

    def no_listing() -> None:
        (state / "ls.json").unlink(missing_ok=True)

    def cold() -> None:
        for path in [*state.glob("index*"), state / "ls.json"]:
            path.unlink(missing_ok=True)

    query = [gm, "runs", "ls", "--where", QUERY_WHERE, "--sort", QUERY_SORT, "--limit", "10"]
    ours = {
        "json warm": Cmd([gm, "runs", "ls", "--json"], top, env),
        "json no listing": Cmd([gm, "runs", "ls", "--json"], top, env, setup=no_listing),
        "query warm": Cmd(query, top, env),
        "table warm": Cmd([gm, "runs", "ls"], top, env),
        "json cold": Cmd([gm, "runs", "ls", "--json"], top, env, setup=cold),
    }
    harness.alternate(ours, 0, warmup=1)  # uncounted; MLflow's caches are warm from above
    time.sleep(2.5)  # the index trusts a ref fingerprint only once it is 2 s old
    cmds = {
        **ours,
        "mlflow all": Cmd([str(ctx.mlflow.python), "-c", MLFLOW_ALL.format(n=n)], store, env),
        "mlflow query": Cmd([str(ctx.mlflow.python), "-c", MLFLOW_QUERY], store, env),
    }
    log(f"fig 3b: {rounds} alternating rounds: {', '.join(cmds)}")
    res = harness.alternate(cmds, rounds, warmup=0)
    bad = harness.check_ok(res)
    if bad:
        raise RuntimeError(f"non-zero exit in figure 3b: {bad}")
    ml_query = mlw.call("query", where=QUERY_WHERE, order="metrics.m1 DESC", limit=10, reps=1)
    if ml_query["rows"] != 10:
        raise RuntimeError(f"MLflow's query returned {ml_query['rows']} rows, expected 10")
    return _fig3b_rows(n, res, ml_all=ml_all, ml_query=ml_query, made=made, built=built[0])


def _row3b(
    label: str,
    ours: float,
    *,
    peer: str = "",
    theirs: float | None = None,
    target: str = "",
    ok: bool | None = None,
) -> Row:
    return Row(
        "3b",
        label,
        ms(ours),
        peer,
        ms(theirs) if theirs is not None else "",
        _ratio(theirs / ours) if theirs else "",
        target,
        verdict(ok) if ok is not None else "info",
    )


def _ratio(x: float) -> str:
    return times(x, "faster") if x >= 1 else times(1 / x, "slower")


def _fig3b_rows(
    n: int,
    res: dict[str, Stats],
    *,
    ml_all: dict[str, Any],
    ml_query: dict[str, Any],
    made: dict[str, float],
    built: float,
) -> list[Row]:
    whole_all, whole_q = res["mlflow all"].median, res["mlflow query"].median
    inproc_all, inproc_q = ml_all["times"][0], ml_query["times"][0]
    peer_all = f"MLflow `search_runs`, all {n:,}, whole process incl. import"
    rows = []
    for key, label, limit in (
        ("json warm", "warm", 0.3),
        ("json no listing", "warm index, listing file (`ls.json`) deleted", 0.3),
        ("json cold", "cold (index and listing deleted)", 1.0),
    ):
        ours = res[key].median
        ratio = whole_all / ours
        rows.append(
            _row3b(
                f"`runs ls --json`, {n:,} runs, {label}, whole process",
                ours,
                peer=peer_all,
                theirs=whole_all,
                target=f">= 10x faster and < {ms(limit)}",
                ok=ratio >= 10 and ours < limit,
            )
        )
    warm = res["json warm"].median
    rows.append(
        _row3b(
            f"`runs ls --json`, {n:,} runs, warm, whole process",
            warm,
            peer="MLflow `search_runs`, all, in-process (1 sample)",
            theirs=inproc_all,
        )
    )
    qw = res["query warm"].median
    rows.append(
        _row3b(
            f"`runs ls --where '{QUERY_WHERE}' --sort {QUERY_SORT} --limit 10`, {n:,} runs, "
            "warm, whole process",
            qw,
            peer="MLflow `search_runs(filter, order_by, max_results=10)`, whole process",
            theirs=whole_q,
            target=">= 10x faster and < 300 ms",
            ok=whole_q / qw >= 10 and qw < 0.3,
        )
    )
    rows.append(
        _row3b(
            "the same query",
            qw,
            peer="MLflow, the same query in-process (1 sample)",
            theirs=inproc_q,
        )
    )
    tw = res["table warm"].median
    rows.append(
        _row3b(
            f"`runs ls` (default table: a screenful), {n:,} runs, warm",
            tw,
            target="< 300 ms",
            ok=tw < 0.3,
        )
    )
    rows[0].note = (
        f"{len(res['json warm'].wall)} alternating rounds of whole processes (gitops-ml and "
        f"MLflow in one loop, after one uncounted round of ours); fixtures: gitops-ml "
        f"`bench/bulk_runs.py` ({made['gitops_ml_s']:.0f} s, 1 run recorded + {n - 1:,} by "
        f"fast-import; first index build {ms(built)}), MLflow `workers/mlflow_bulk.py` "
        f"({made['mlflow_s']:.0f} s, 1 run logged through MlflowClient + {n - 1:,} copied "
        f"in SQL), 10 params + 10 metrics per run in both. CPU medians (user+sys): "
        + ", ".join(
            f"{k} {statistics.median(v.cpu) * 1000:,.0f} ms" for k, v in res.items() if v.cpu
        )
        + f"; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    rows[0].data = {k: v.summary() for k, v in res.items()} | {
        "mlflow_all_inproc_s": inproc_all,
        "mlflow_query_inproc_s": inproc_q,
        "fixtures_s": made,
        "first_index_build_s": built,
    }
    return rows
