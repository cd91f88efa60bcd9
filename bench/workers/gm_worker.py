"""gitops-ml side of figures 2, 3 and 5, run with the gitops-ml interpreter (see proto.py).

Logging uses the public API exactly as a training script would; hashing calls
``gitops_ml.core.hashing`` next to raw ``blake3`` so both read the same page-cached bytes.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
import blake3  # noqa: E402

import gitops_ml  # noqa: E402
from gitops_ml.core import hashing  # noqa: E402

IMPORT_S = time.perf_counter() - T0

from proto import serve  # noqa: E402

rng = random.Random(42)
CHUNK = 1 << 20


def setup(workdir: str) -> dict[str, Any]:
    os.chdir(workdir)
    return {"version": gitops_ml.__version__, "import_s": IMPORT_S}


def log(n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with gitops_ml.start_run(params={f"p{i}": rng.random() for i in range(10)}) as run:
            run.log_metrics({f"m{i}": rng.random() for i in range(10)})
            run.log_artifact("artifact.bin")
        times.append(time.perf_counter() - t0)
    return times


def list_runs(reps: int) -> dict[str, Any]:
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index

    times, rows = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        rows = len(index.load(gitstore.open_repo()).runs())
        times.append(time.perf_counter() - t0)
    return {"times": times, "rows": rows}


def _raw_one(path: str) -> str:
    h = blake3.blake3()
    buf = bytearray(CHUNK)
    mv = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(mv[:n])
    return str(h.hexdigest())


def raw_blake3(path: str) -> dict[str, Any]:
    """Raw blake3, one thread, 1 MiB chunk updates: a file, or every file under a folder."""
    t0 = time.perf_counter()
    if os.path.isdir(path):
        files = sorted(str(p) for p in Path(path).rglob("*") if p.is_file())
        digest = str(len([_raw_one(f) for f in files]))
    else:
        digest = _raw_one(path)
    return {"s": time.perf_counter() - t0, "digest": digest}


def hash_file(path: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    digest = hashing.hash_file(path)
    return {"s": time.perf_counter() - t0, "digest": digest}


def hash_path(top: str, rel: str, cache: str | None) -> dict[str, Any]:
    """hash_path with no cache (None), or a HashCache file (fresh if absent, else warm)."""
    hc = hashing.HashCache(Path(cache) if cache else None)
    t0 = time.perf_counter()
    entry = hashing.hash_path(Path(top), rel, hc)
    hc.save()
    return {"s": time.perf_counter() - t0, "digest": entry.hash, "files": entry.files}


serve(
    {
        "setup": setup,
        "log": log,
        "list_runs": list_runs,
        "raw_blake3": raw_blake3,
        "hash_file": hash_file,
        "hash_path": hash_path,
    }
)
