"""MLflow side of figures 2 and 3, run inside the MLflow venv (see proto.py).

A "run" = start_run + log_params(10) + log_metrics(10) + log_artifact(1 KiB) + end_run,
against a local SQLite store (artifacts in a local folder), as the peers measured it.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

T0 = time.perf_counter()
import mlflow  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

IMPORT_S = time.perf_counter() - T0

from proto import serve  # noqa: E402

rng = random.Random(42)
state: dict[str, Any] = {"count": 0}


def setup(workdir: str, count: bool = True) -> dict[str, Any]:
    """Open the store in ``workdir``; ``count=False`` skips counting its runs (a search of
    them all: minutes at 100,000)."""
    os.chdir(workdir)
    with open("artifact.bin", "wb") as fh:
        fh.write(random.Random(7).randbytes(1024))
    t0 = time.perf_counter()
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    state["exp"] = mlflow.set_experiment("bench").experiment_id
    if count:
        state["count"] = len(MlflowClient().search_runs([state["exp"]], max_results=50000))
    return {
        "version": mlflow.__version__,
        "import_s": IMPORT_S,
        "setup_s": time.perf_counter() - t0,
        "runs": state["count"],
    }


def log(n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with mlflow.start_run():
            mlflow.log_params({f"p{i}": rng.random() for i in range(10)})
            mlflow.log_metrics({f"m{i}": rng.random() for i in range(10)})
            mlflow.log_artifact("artifact.bin")
        times.append(time.perf_counter() - t0)
    state["count"] += n
    return times


def fill(total: int) -> dict[str, float]:
    """Top the store up to ``total`` runs (batch API, no artifact: search reads none)."""
    client = MlflowClient()
    need = max(0, total - state["count"])
    t0 = time.perf_counter()
    for _ in range(need):
        run = client.create_run(state["exp"])
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{i}", rng.random(), now, 0) for i in range(10)],
            params=[Param(f"p{i}", str(rng.random())) for i in range(10)],
        )
        client.set_terminated(run.info.run_id)
    state["count"] += need
    dt = time.perf_counter() - t0
    return {"runs": need, "s": dt, "ms_per_run": dt * 1000 / max(need, 1)}


def search(reps: int, max_results: int | None = None) -> dict[str, Any]:
    """``mlflow.search_runs`` of every run (it pages through the store itself);
    ``max_results`` above its default of 100,000 for bigger stores."""
    extra = {} if max_results is None else {"max_results": max_results}
    times, rows = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        df = mlflow.search_runs([state["exp"]], **extra)
        times.append(time.perf_counter() - t0)
        rows = len(df)
    return {"times": times, "rows": rows}


def query(where: str, order: str, limit: int, reps: int) -> dict[str, Any]:
    """The same filtered, sorted, limited query as ``runs ls --where --sort --limit``."""
    times, rows = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        df = mlflow.search_runs(
            [state["exp"]], filter_string=where, order_by=[order], max_results=limit
        )
        times.append(time.perf_counter() - t0)
        rows = len(df)
    return {"times": times, "rows": rows}


serve(
    {
        "setup": setup,
        "log": log,
        "fill": fill,
        "search": search,
        "query": query,
    }
)
