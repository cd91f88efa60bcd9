"""The run record and the run's notes line, put together from what a run collected."""

from __future__ import annotations

import json
import os

from gitops_ml.core import record
from gitops_ml.core.times import utc_iso

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


class Timing:
    """When a run started and ended."""

    def __init__(self, started: float, ended: float) -> None:
        self.started = started
        self.ended = ended


def build(
    *,
    run_id: str,
    spec: Any,
    cwd: str,
    exit_code: int,
    timing: Timing,
    ident: tuple[str, str],
    git: dict[str, Any],
    collected: dict[str, Any],
) -> dict[str, Any]:
    """The run record (schema in :mod:`gitops_ml.core.record`).

    ``spec`` is the :class:`~gitops_ml.runs.recorder.RunSpec`; ``collected`` holds
    ``params``, ``metrics``, ``data``, ``outputs``, ``artifacts``, ``environment``,
    ``seeds``, ``tags`` and ``skipped``.
    """
    return {
        "schema": record.SCHEMA_VERSION,
        "id": run_id,
        "name": spec.name,
        "command": spec.command,
        "cwd": cwd,
        "exit_code": exit_code,
        "started": utc_iso(timing.started),
        "ended": utc_iso(timing.ended),
        "duration": round(timing.ended - timing.started, 3),
        "user": {"name": ident[0], "email": ident[1]},
        "host": os.uname().nodename,
        "git": git,
        "params": collected["params"],
        "metrics": collected["metrics"],
        "data": collected["data"],
        "outputs": collected["outputs"],
        "artifacts": collected["artifacts"],
        "environment": collected["environment"],
        "seeds": collected["seeds"],
        "tags": collected["tags"],
        "isolated": spec.isolated,
        "reproduces": spec.reproduces,
        "skipped": collected["skipped"],
    }


def note(rec: dict[str, Any]) -> str:
    """The notes line of a run on the commit it was made on."""
    return json.dumps(
        {
            "type": "run",
            "run": rec["id"],
            "name": rec["name"],
            "exit_code": rec["exit_code"],
            "metrics": rec["metrics"],
            "user": rec["user"]["email"],
            "started": rec["started"],
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
