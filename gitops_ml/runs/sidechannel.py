"""What the command tells its run: the environment variables it gets and the side channel.

A command started by ``gitops-ml run`` finds its run in the environment; the Python API
(:mod:`gitops_ml.api`) appends JSON lines to the side-channel file named there, and the
run merges them when the command has ended. This module is light (the API imports
it inside the command).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from gitops_ml.core.params import flatten

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

ENV_RUN_ID = "GITOPS_ML_RUN_ID"
ENV_RUN_FILE = "GITOPS_ML_RUN_FILE"  # the side channel
ENV_RUN_ROOT = "GITOPS_ML_RUN_ROOT"  # where the command runs (a worktree when isolated)
ENV_PARAMS_FILE = "GITOPS_ML_PARAMS_FILE"  # the run's params, JSON
ENV_PARAMS = "GITOPS_ML_PARAMS"  # the same inline, only when small
INLINE_PARAMS_MAX = 16 * 1024


class Logged:
    """Everything logged into a run through the API: params, metrics, seeds, tags, artifacts."""

    def __init__(
        self, params: Mapping[str, Any] | None = None, tags: list[str] | None = None
    ) -> None:
        self.params: dict[str, Any] = flatten(dict(params or {}))
        self.metrics: dict[str, Any] = {}
        self.seeds: dict[str, Any] = {}
        self.tags: list[str] = list(tags or [])
        self.artifacts: list[dict[str, Any]] = []

    def merge(self, item: Mapping[str, Any]) -> None:
        """Merge one logged item (params, metrics, artifact, tags, seeds)."""
        self.params.update(flatten(dict(item.get("params") or {})))
        self.metrics.update(flatten(dict(item.get("metrics") or {})))
        self.seeds.update(item.get("seeds") or {})
        for tag in item.get("tags") or []:
            if tag not in self.tags:
                self.tags.append(tag)
        if item.get("artifact"):
            self.artifacts.append(dict(item["artifact"]))

    def read(self, path: Path) -> None:
        """Merge every line of a side-channel file (a torn or foreign line is skipped)."""
        try:
            lines = path.read_text().splitlines()
        except (FileNotFoundError, UnicodeDecodeError):
            return
        for line in lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict):
                self.merge(item)


def write_params(path: Path, params: Mapping[str, Any]) -> str:
    """Write the run's params for the command; returns the JSON text."""
    text = json.dumps(params, default=str)
    path.write_text(text)
    return text
