"""Writing runs exactly as gitops-ml 0.1 did (storage contract v1), for the reading tests.

0.1 wrote a run commit under ``refs/runs/<id>`` whose message held a schema-1 record
with the whole environment inline (``distributions`` and all), and appended one JSON line
``{"type":"run",...}`` to the note of the commit the run was made on (HEAD), in a notes
tree without fan-out. Made here with plain git plumbing, independent of the package.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from tests.conftest import git

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(rng: random.Random | None = None) -> str:
    rng = rng or random.Random(os.urandom(8))
    value = (time.time_ns() // 1_000_000) << 80 | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -5, -5))


def environment(python: str = "3.11.7", dists: dict[str, str] | None = None) -> dict[str, object]:
    """A schema-1 inline environment."""
    return {
        "python": python,
        "implementation": "cpython",
        "platform": "linux-x86_64",
        "os": "Linux-6.1.0",
        "executable": "/usr/bin/python3",
        "distributions": dists if dists is not None else {"numpy": "1.26.4", "pyyaml": "6.0.1"},
        "lockfile": None,
        "variables": {"LANG": "C.UTF-8"},
        "fingerprint": "ab" * 16,
    }


def write_run(
    repo: Path,
    *,
    metrics: dict[str, float] | None = None,
    env: dict[str, object] | None = None,
    tags: list[str] | None = None,
    name: str | None = None,
) -> str:
    """One 0.1 run on HEAD (snapshot = HEAD's tree); returns its id."""
    run_id = ulid()
    head = git(repo, "rev-parse", "HEAD").strip()
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    rec = {
        "schema": 1,
        "id": run_id,
        "name": name,
        "command": ["python", "train.py"],
        "cwd": ".",
        "exit_code": 0,
        "started": now,
        "ended": now,
        "duration": 0.5,
        "user": {"name": "Old Timer", "email": "old@example.com"},
        "host": "oldhost",
        "git": {"base": head, "branch": "main", "dirty": False, "tree": tree},
        "params": {"lr": 0.1},
        "metrics": metrics if metrics is not None else {"accuracy": 0.9},
        "data": [],
        "outputs": [],
        "artifacts": [],
        "environment": env if env is not None else environment(),
        "seeds": {},
        "tags": tags or [],
        "isolated": False,
        "reproduces": None,
        "skipped": [],
    }
    body = json.dumps(rec, sort_keys=True, separators=(",", ":"))
    message = f"gitops-ml run {run_id}" + (f": {name}" if name else "") + f"\n\n{body}\n"
    commit = git(repo, "commit-tree", tree, "-p", head, input=message).strip()
    git(repo, "update-ref", f"refs/runs/{run_id}", commit, "")
    line = {
        "type": "run",
        "run": run_id,
        "name": name,
        "exit_code": 0,
        "metrics": rec["metrics"],
        "user": "old@example.com",
        "started": now,
    }
    git(
        repo,
        "notes",
        "--ref=gitops-ml",
        "append",
        "-m",
        json.dumps(line, sort_keys=True, separators=(",", ":")),
        head,
    )
    return run_id
