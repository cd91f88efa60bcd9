"""A project whose runs produce ``model.txt`` from ``data.csv`` (lineage tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import cli, make_project, write

FIT = """\
import json
p = json.load(open("params.json"))
open("model.txt", "w").write(f"model lr={p['lr']}")
json.dump({"accuracy": 1 - p["lr"]}, open("metrics.json", "w"))
"""


def fit_project(root: Path) -> Path:
    """``fit.py`` writes model.txt from params.json; data.csv is declared data."""
    repo = make_project(
        root,
        config="params: params.json\nmetrics: metrics.json\ndata: data.csv\noutputs: model.txt\n",
    )
    write(repo / ".gitignore", "metrics.json\nmodel.txt\n")
    write(repo / "fit.py", FIT)
    write(repo / "data.csv", "x\n1\n")
    return repo


def fit(repo: Path, lr: str, name: str | None = None) -> None:
    """Record one run of fit.py with ``-p lr=LR``."""
    named = ["-n", name] if name else []
    proc = cli(repo, "run", *named, "-p", f"lr={lr}", "--", sys.executable, "fit.py")
    assert proc.returncode == 0, proc.stderr
