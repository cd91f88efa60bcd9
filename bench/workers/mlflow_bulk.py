"""Bulk fixture writer for MLflow: a SQLite tracking store holding N runs, made in seconds.

Used only by the benchmarks (figure 3b, ``cases_list.fig3b_list100k``), never by gitops-ml.
Runs inside MLflow's own venv (``bench/.venvs/mlflow``), like the worker beside it.
Creating 100,000 runs through ``MlflowClient`` takes hours here, so:

1. ONE run is logged for real through ``MlflowClient`` into ``sqlite:///mlflow.db`` in the
   experiment ``bench``: ``create_run`` + ``log_batch`` (10 params ``p0..p9``, 10 metrics
   ``m0..m9``, as figure 3's top-up does) + ``set_terminated``. MLflow itself creates the
   schema and writes every row of that run.
2. MLflow's schema is read from the database (``sqlite_master`` / ``PRAGMA table_info``):
   the tables with a ``run_uuid`` column that hold rows of the real run must be exactly
   ``runs``, ``params``, ``metrics``, ``latest_metrics`` and ``tags`` (otherwise the
   copy would be incomplete and the writer stops).
3. In ONE transaction, every row of the real run is copied by ``INSERT ... SELECT`` to
   N-1 new runs: a new ``run_uuid`` (``uuid4().hex``) everywhere the real run's id
   appears (``run_uuid``, the ``artifact_uri``), the name ``run-<i>`` (``runs.name`` and
   the ``mlflow.runName`` tag), start times one minute apart (end 1.5 s later, metric
   timestamps at the end), and per run 10 param and 10 metric values of its own
   (``round(random(), 6)``, seeded, as ``bench/bulk_runs.py`` does for gitops-ml; the
   metric's value is the same in ``metrics`` and ``latest_metrics``). Every other column
   is the real run's.
4. The count is checked with ``mlflow.search_runs`` by the caller (figure 3b), since it is
   also what is measured.

    bench/.venvs/mlflow/bin/python bench/workers/mlflow_bulk.py DIR --runs 100000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

COPIED = {"runs", "params", "metrics", "latest_metrics", "tags"}


def _log_template(experiment: str, rng: random.Random) -> str:
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    exp = mlflow.set_experiment(experiment).experiment_id
    client = MlflowClient()
    run = client.create_run(exp, run_name="run-0")
    now = int(time.time() * 1000)
    client.log_batch(
        run.info.run_id,
        metrics=[Metric(f"m{j}", round(rng.random(), 6), now, 0) for j in range(10)],
        params=[Param(f"p{j}", str(round(rng.random(), 6))) for j in range(10)],
    )
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]


def _plan(db: sqlite3.Connection, template: str) -> dict[str, list[str]]:
    """The tables holding the template run's rows, with their columns, from the schema."""
    tables: dict[str, list[str]] = {}
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cols = _columns(db, table)
        if "run_uuid" not in cols:
            continue
        (count,) = db.execute(
            f'SELECT count(*) FROM "{table}" WHERE run_uuid = ?', (template,)
        ).fetchone()
        if count:
            tables[table] = cols
    if set(tables) != COPIED:
        raise RuntimeError(
            f"MLflow's schema changed: the real run has rows in {sorted(tables)}, "
            f"the copy knows {sorted(COPIED)}"
        )
    return tables


def _expr(table: str, col: str) -> str:
    """The SELECT expression of one column of a copied row (``t``: the real run's row,
    ``b``: the new run, ``v``: its value of this param or metric)."""
    special = {
        ("runs", "run_uuid"): "b.run_uuid",
        ("runs", "name"): "b.name",
        ("runs", "start_time"): "b.start_ms",
        ("runs", "end_time"): "b.start_ms + 1500",
        ("tags", "value"): "CASE WHEN t.key = 'mlflow.runName' THEN b.name "
        "ELSE replace(t.value, :tpl, b.run_uuid) END",
        ("params", "value"): "v.value",
        ("metrics", "value"): "v.value",
        ("metrics", "timestamp"): "b.start_ms + 1500",
        ("latest_metrics", "value"): "v.value",
        ("latest_metrics", "timestamp"): "b.start_ms + 1500",
    }
    if (table, col) in special:
        return special[(table, col)]
    if col == "run_uuid":
        return "b.run_uuid"
    return f'CASE WHEN typeof(t."{col}") = \'text\' THEN replace(t."{col}", :tpl, b.run_uuid) ELSE t."{col}" END'


def copy_runs(path: Path, template: str, count: int, rng: random.Random) -> None:
    """``count`` copies of the run ``template`` in the store at ``path``, one transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        plan = _plan(db, template)
        (start,) = db.execute(
            "SELECT start_time FROM runs WHERE run_uuid = ?", (template,)
        ).fetchone()
        base = int(start) - (count + 1) * 60_000  # the copies end a minute before it
        db.execute("BEGIN")
        db.execute("CREATE TEMP TABLE bulk (n INTEGER PRIMARY KEY, run_uuid, name, start_ms)")
        db.execute("CREATE TEMP TABLE bulk_values (n, key, value, PRIMARY KEY (n, key))")
        db.executemany(
            "INSERT INTO bulk VALUES (?, ?, ?, ?)",
            ((i, uuid.uuid4().hex, f"run-{i}", base + i * 60_000) for i in range(1, count + 1)),
        )
        values: list[tuple[int, str, Any]] = []
        for i in range(1, count + 1):
            values += [(i, f"p{j}", str(round(rng.random(), 6))) for j in range(10)]
            values += [(i, f"m{j}", round(rng.random(), 6)) for j in range(10)]
        db.executemany("INSERT INTO bulk_values VALUES (?, ?, ?)", values)
        for table, cols in plan.items():
            select = ", ".join(_expr(table, c) for c in cols)
            join = (
                "JOIN bulk_values v ON v.n = b.n AND v.key = t.key"
                if table
                in (
                    "params",
                    "metrics",
                    "latest_metrics",
                )
                else ""
            )
            names = ", ".join(f'"{c}"' for c in cols)
            db.execute(
                f'INSERT INTO "{table}" ({names}) SELECT {select} '
                f'FROM "{table}" t JOIN bulk b {join} WHERE t.run_uuid = :tpl',
                {"tpl": template},
            )
        db.execute("DROP TABLE bulk")
        db.execute("DROP TABLE bulk_values")
        db.execute("COMMIT")
    finally:
        db.close()


def make(
    workdir: Path, runs: int, *, experiment: str = "bench", seed: int = 2024
) -> dict[str, Any]:
    """The store ``workdir/mlflow.db`` with ``runs`` runs (1 logged + ``runs - 1`` copied)."""
    import os

    os.chdir(workdir)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    template = _log_template(experiment, rng)
    logged = time.perf_counter() - t0
    copy_runs(workdir / "mlflow.db", template, runs - 1, rng)
    total = time.perf_counter() - t0
    return {"runs": runs, "template": template, "log_s": logged, "s": total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--runs", type=int, default=100_000)
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    got = make(args.dir.resolve(), args.runs)
    print(f"{args.runs} runs in {args.dir / 'mlflow.db'} ({got['s']:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
