"""Writing run refs by hand (records of any shape) for index and listing tests."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.conftest import git

_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(rng: random.Random | None = None, ms: int = 1_700_000_000_000) -> str:
    value = ms << 80 | (rng or random.Random()).getrandbits(80)
    return "".join(_ULID[(value >> shift) & 31] for shift in range(125, -5, -5))


def record(run_id: str, **fields: Any) -> dict[str, Any]:
    """A plausible record (schema 1 shape), with ``fields`` overriding."""
    rec: dict[str, Any] = {
        "schema": 1,
        "id": run_id,
        "name": None,
        "command": ["python", "train.py"],
        "cwd": ".",
        "exit_code": 0,
        "started": "2026-01-01T00:00:00.000Z",
        "ended": "2026-01-01T00:00:01.000Z",
        "duration": 1.0,
        "user": {"name": "A", "email": "a@example.com"},
        "host": "box",
        "git": {"base": None, "branch": "main", "dirty": False, "tree": None},
        "params": {},
        "metrics": {},
        "data": [],
        "outputs": [],
        "artifacts": [],
        "environment": {"fingerprint": "f" * 32, "python": "3.11.7", "platform": "linux"},
        "seeds": {},
        "tags": [],
        "isolated": False,
        "reproduces": None,
        "skipped": [],
    }
    rec.update(fields)
    return rec


def write_run(repo: Path, run_id: str, body: str | dict[str, Any], ref: str | None = None) -> str:
    """A run commit on HEAD whose message holds ``body`` (a record or any text); its id."""
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    head = git(repo, "rev-parse", "HEAD").strip()
    commit = git(
        repo, "commit-tree", tree, "-p", head, "-m", f"gitops-ml run {run_id}\n\n{text}"
    ).strip()
    git(repo, "update-ref", ref or f"refs/runs/{run_id}", commit)
    return commit
