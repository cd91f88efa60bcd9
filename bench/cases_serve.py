"""Figure 10: `gitops-ml serve`: requests per second, and the latency that the Prometheus
metrics and drift statistics add over the same app without them (goal: under 10%).

Two servers of the same run and predict function, one with ``--no-metrics``; a load
generator with keep-alive connections sends the same feature rows to each, in alternating
rounds. Drift is computed when ``/metrics`` is scraped, so the rounds scrape the monitored
server once a second, as Prometheus would (the scrape's cost is counted in its numbers).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from context import Ctx, log
from report import Row

_TRAIN = """\
import json, random
import gitops_ml

rng = random.Random(1)
rows = [{"age": rng.gauss(40, 10), "income": rng.gauss(50000, 8000),
         "plan": rng.choice(["basic", "pro"])} for _ in range(5000)]
open("model.json", "w").write(json.dumps({"w": 0.08}))
with gitops_ml.start_run() as run:
    run.log_reference(rows)
"""
_MODEL = """\
import json, math, os, pathlib
W = json.loads(pathlib.Path(os.environ["GITOPS_ML_MODEL_DIR"], "model.json").read_text())["w"]
def predict(x):
    return {"prediction": 1 / (1 + math.exp(-W * (x["age"] - 40)))}
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _project(root: Path) -> str:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    (root / "train.py").write_text(_TRAIN)
    (root / "serve_model.py").write_text(_MODEL)
    (root / "gitops-ml.yaml").write_text("outputs: model.json\n")
    (root / ".gitignore").write_text("model.json\n__pycache__/\n")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "init")
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_ml", "run", "--json", "--", sys.executable, "train.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(proc.stdout)["id"])


class _Server:
    def __init__(self, root: Path, run: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gitops_ml",
                "serve",
                run,
                "--entrypoint",
                "serve_model:predict",
                "--port",
                "0",
                *extra,
            ],
            cwd=root,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"http://([\d.]+):(\d+)", line)
        if not found:
            line = self.proc.stderr.readline()
            found = re.search(r"http://([\d.]+):(\d+)", line)
        if not found:
            self.proc.kill()
            rest = self.proc.stderr.read()
            raise RuntimeError(f"gitops-ml serve did not start: {(line + rest).strip()[-500:]}")
        self.host, self.port = found.group(1), int(found.group(2))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _load(
    server: _Server, bodies: list[bytes], clients: int, scrape: bool
) -> tuple[float, list[float]]:
    """Send every body once over ``clients`` keep-alive connections: (req/s, latencies)."""
    lat: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    chunks = [bodies[i::clients] for i in range(clients)]

    def client(chunk: list[bytes]) -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        mine = []
        for body in chunk:
            t = time.perf_counter()
            conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t)
            assert resp.status == 200
        conn.close()
        with lock:
            lat.extend(mine)

    def scraper() -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        while not stop.wait(1.0):
            conn.request("GET", "/metrics")
            conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    scr = threading.Thread(target=scraper) if scrape else None
    t0 = time.perf_counter()
    if scr:
        scr.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    stop.set()
    if scr:
        scr.join()
    return len(bodies) / wall, lat


def fig8_serve(ctx: Ctx) -> list[Row]:
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"gitops-ml-bench-serve-{os.getpid()}"
    run = _project(root)
    rng = random.Random(2)
    n = 2000 if ctx.quick else 10000
    bodies = [
        json.dumps(
            {"age": rng.gauss(40, 10), "income": rng.gauss(50000, 8000), "plan": "basic"}
        ).encode()
        for _ in range(n)
    ]
    plain, monitored = _Server(root, run, "--no-metrics"), _Server(root, run, "--window", "500")
    try:
        for s in (plain, monitored):  # warm up
            _load(s, bodies[:200], 4, False)
        results: dict[str, list[tuple[float, list[float]]]] = {"plain": [], "monitored": []}
        for r in range(3 if ctx.quick else 5):
            order = [("plain", plain, False), ("monitored", monitored, True)]
            for name, server, scrape in order if r % 2 == 0 else order[::-1]:
                results[name].append(_load(server, bodies, 8, scrape))
            log(f"serve round {r}: {[round(results[k][-1][0]) for k in results]} req/s")
    finally:
        plain.stop()
        monitored.stop()
        shutil.rmtree(root, ignore_errors=True)

    def summary(name: str) -> tuple[float, float, float]:
        rps = statistics.median(x[0] for x in results[name])
        lats = sorted(v for x in results[name] for v in x[1])
        return rps, statistics.median(lats), lats[int(len(lats) * 0.95)]

    p_rps, p_med, p_95 = summary("plain")
    per_request = _monitor_cost()
    m_rps, m_med, m_95 = summary("monitored")
    added = m_med / p_med - 1
    return [
        Row(
            "10",
            "serve: requests/s, metrics + drift (8 clients)",
            f"{m_rps:,.0f}/s",
            "same app, no metrics",
            f"{p_rps:,.0f}/s",
            f"{m_rps / p_rps:.2f}x",
            "",
            "info",
            data={"monitored_rps": m_rps, "plain_rps": p_rps},
        ),
        Row(
            "10",
            "serve: median latency added by metrics + drift",
            f"{m_med * 1000:.2f} ms",
            "same app, no metrics",
            f"{p_med * 1000:.2f} ms",
            f"{added:+.1%}",
            "< +10%",
            "PASS" if added < 0.10 else "FAIL",
            note=f"p95 {m_95 * 1000:.2f} ms vs {p_95 * 1000:.2f} ms",
            data={
                "monitored_median": m_med,
                "plain_median": p_med,
                "monitored_p95": m_95,
                "plain_p95": p_95,
            },
        ),
        Row(
            "10",
            "serve: monitor cost per request, in-process (track + observe, 3 features)",
            f"{per_request * 1e6:.1f} us",
            "plain median latency",
            f"{p_med * 1000:.2f} ms",
            f"{per_request / p_med:+.1%}",
            "< +10%",
            "PASS" if per_request / p_med < 0.10 else "FAIL",
            data={"monitor_us": per_request * 1e6},
        ),
    ]


def _monitor_cost() -> float:
    """Seconds per request of ``Monitor.track`` + ``observe`` (best of 5 batches)."""
    from gitops_ml.monitor import Monitor, reference

    rng = random.Random(3)
    rows = [
        {"age": rng.gauss(40, 10), "income": rng.gauss(5e4, 8e3), "plan": rng.choice(["a", "b"])}
        for _ in range(5000)
    ]
    monitor = Monitor("BENCH", reference.build(rows), window=500)
    batches = []
    for _ in range(5):
        t = time.perf_counter()
        for row in rows:
            with monitor.track("/predict"):
                monitor.observe(row, {"prediction": 0.5})
        batches.append((time.perf_counter() - t) / len(rows))
    return min(batches)
