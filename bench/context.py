"""What every case shares: sizes, tools, fixtures made once, persistent workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fixtures
import peers

WORKERS = Path(__file__).resolve().parent / "workers"


@dataclass(frozen=True)
class Sizes:
    files: int  # work-tree files (figures 1, 6)
    runs: int  # runs listed (figure 3)
    rounds: int  # alternating whole-process rounds (figures 1, 4, 6)
    list_rounds: int  # rounds where MLflow whole-process search is in the loop (figure 3)
    log_runs: int  # in-process runs logged per tool (figure 2)
    log_batch: int  # runs per alternating batch (figure 2)
    big_bytes: int  # single-file hashing (figure 5)
    small_files: int  # many-files hashing (figure 5)
    small_bytes: int  # size of each of those
    hash_reps: int


FULL = Sizes(
    files=10_000,
    runs=10_000,
    rounds=9,
    list_rounds=5,
    log_runs=200,
    log_batch=20,
    big_bytes=1 << 30,
    small_files=10_000,
    small_bytes=(1 << 30) // 10_000,
    hash_reps=3,
)
QUICK = Sizes(
    files=1_000,
    runs=1_000,
    rounds=3,
    list_rounds=3,
    log_runs=40,
    log_batch=10,
    big_bytes=64 << 20,
    small_files=1_000,
    small_bytes=64 << 10,
    hash_reps=2,
)


class Worker:
    """A persistent process in a tool's venv answering JSON requests (workers/proto.py)."""

    def __init__(self, python: Path, script: str, cwd: Path) -> None:
        env = {**os.environ, **peers.QUIET_ENV, "PYTHONPATH": str(WORKERS)}
        fixtures.WORK.mkdir(parents=True, exist_ok=True)
        self.log = open(fixtures.WORK / f"{script}.{os.getpid()}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(python), str(WORKERS / script)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def call(self, op: str, **kw: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker died during {op!r} (exit {self.proc.wait()})")
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(f"worker {op!r}: {reply['error']}\n{reply.get('tb', '')}")
        return reply["result"]

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        self.log.close()


@dataclass
class Ctx:
    sizes: Sizes
    quick: bool
    gm: peers.Tool
    _mlflow: peers.Tool | None = None
    _dvc: peers.Tool | None = None
    _worktree: tuple[Path, list[str]] | None = None
    _mlflow_store: tuple[Worker, Path] | None = None
    workers: list[Worker] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def mlflow(self) -> peers.Tool:
        if self._mlflow is None:
            self._mlflow = peers.mlflow()
            self.versions["mlflow"] = self._mlflow.version
        return self._mlflow

    @property
    def dvc(self) -> peers.Tool:
        if self._dvc is None:
            self._dvc = peers.dvc()
            self.versions["dvc"] = self._dvc.version
        return self._dvc

    def gm_script(self, name: str = "gitops-ml") -> str:
        path = self.gm.script(name)
        if path is None:
            raise RuntimeError(f"{name} not found next to {self.gm.python}")
        return str(path)

    def worktree(self) -> tuple[Path, list[str]]:
        if self._worktree is None:
            log(f"fixture: work tree of {self.sizes.files:,} files x 10 KiB")
            self._worktree = fixtures.worktree_repo(self.sizes.files)
        return self._worktree

    def worker(self, python: Path, script: str, cwd: Path) -> Worker:
        w = Worker(python, script, cwd)
        self.workers.append(w)
        return w

    def mlflow_store(self) -> tuple[Worker, Path]:
        """One MLflow SQLite store for figures 2 and 3, behind a live worker."""
        if self._mlflow_store is None:
            where = fixtures.fresh_dir("mlflow")
            w = self.worker(self.mlflow.python, "mlflow_worker.py", where)
            w.call("setup", workdir=str(where))
            self._mlflow_store = (w, where)
        return self._mlflow_store

    def close(self) -> None:
        for w in self.workers:
            w.close()


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)
