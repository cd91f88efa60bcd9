"""A project whose run logs a model and a reference profile, and a real `gitops-ml serve`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import cli, git, make_project, write

TRAIN = """\
import json, random
import gitops_ml

rng = random.Random(1)
rows = [
    {"age": rng.gauss(40, 10), "income": rng.gauss(50000, 8000),
     "plan": rng.choice(["basic", "basic", "pro"])}
    for _ in range(3000)
]
open("model.json", "w").write(json.dumps({"w": 0.08}))
with gitops_ml.start_run() as run:
    run.log_reference(rows)
json.dump({"accuracy": 0.9}, open("metrics.json", "w"))
"""

MODEL = """\
import json, math, os, pathlib

W = json.loads(pathlib.Path(os.environ["GITOPS_ML_MODEL_DIR"], "model.json").read_text())["w"]


def score(row):
    return 1 / (1 + math.exp(-W * (row["age"] - 40)))


def predict(features):
    if isinstance(features, list):
        return [score(r) for r in features]
    return {"prediction": score(features), "run": os.environ["GITOPS_ML_RUN_ID"]}
"""


def served_project(root: Path) -> tuple[Path, str]:
    """The project and the id of its recorded run."""
    make_project(
        root,
        commit=False,
        config="params: params.json\nmetrics: metrics.json\noutputs: model.json\n",
    )
    write(root / "train.py", TRAIN)
    write(root / "serve_model.py", MODEL)
    write(root / ".gitignore", "metrics.json\nmodel.json\n__pycache__/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    proc = cli(root, "run", "--json", "--", "python", "train.py")
    assert proc.returncode == 0, proc.stderr
    return root, str(json.loads(proc.stdout)["id"])


def request(url: str, body: bytes | None = None, timeout: float = 30) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            code = resp.status
    except urllib.error.HTTPError as exc:
        raw, code = exc.read(), exc.code
    try:
        return code, json.loads(raw)
    except ValueError:
        return code, raw.decode()


@contextmanager
def serving(root: Path, run: str, *extra: str) -> Iterator[str]:
    """``gitops-ml serve`` on a free loopback port; yields its base URL."""
    with started(root, run, *extra) as (url, _):
        yield url


@contextmanager
def started(root: Path, run: str, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``gitops-ml serve`` on a free loopback port, answering /healthz; yields its base URL
    and the process (stopped with SIGTERM at the end unless it has ended already)."""
    proc = subprocess.Popen(
        ["gitops-ml", "serve", run, "--entrypoint", "serve_model:predict", "--port", "0", *extra],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stderr is not None
        line = ""
        for _ in range(50):
            line = proc.stderr.readline()
            if "on http://" in line or not line:
                break
        found = re.search(r"on (http://[\d.]+:\d+)", line)
        assert found, (
            f"serve did not start: {line}{proc.stderr.read() if proc.poll() is not None else ''}"
        )
        url = found.group(1)
        for _ in range(300):
            try:
                if request(url + "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
