"""A project whose runs produce a model file, and deploy helpers over the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import cli, git, make_project, write

TRAIN_MODEL = """\
import json, sys
p = json.load(open("params.json"))
open("model.bin", "w").write("weights %s" % p["lr"])
json.dump({"accuracy": round(1 - p["lr"] / 10, 6)}, open("metrics.json", "w"))
sys.exit(p.get("exit", 0))
"""

BASE_CONFIG = """\
params: params.json
metrics: metrics.json
outputs: model.bin
primary: accuracy
"""


def model_project(root: Path, deploy: str = "") -> Path:
    """A committed project whose train.py writes model.bin; ``deploy`` is YAML appended."""
    make_project(root, commit=False, config=BASE_CONFIG + deploy)
    write(root / "train.py", TRAIN_MODEL)
    write(root / ".gitignore", "metrics.json\nmodel.bin\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def record(root: Path, lr: float, *extra: str) -> str:
    """Record a run with ``lr``; returns its id."""
    proc = cli(root, "run", "--json", "-p", f"lr={lr}", *extra, "--", "python", "train.py")
    assert proc.stdout.strip(), proc.stderr
    return str(json.loads(proc.stdout)["id"])


def deployed(root: Path, env: str) -> dict[str, Any]:
    proc = cli(root, "deployed", env, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return dict(json.loads(proc.stdout))


def history(root: Path, env: str) -> list[dict[str, Any]]:
    proc = cli(root, "deploy", "history", env, "--json")
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


def notes_facts(root: Path, run_id: str, kind: str) -> list[dict[str, Any]]:
    proc = cli(root, "runs", "show", run_id, "--json")
    assert proc.returncode == 0, proc.stderr
    return [f for f in json.loads(proc.stdout)["notes"] if f.get("type") == kind]
