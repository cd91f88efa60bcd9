"""The Python API: ``start_run`` and ``Run`` for scripts and notebooks.

Inside a command started by ``gitops-ml run``, :func:`start_run` joins that run (values go
to the parent through a side-channel file); elsewhere it records a run of its own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.runs import recorder


class Run:
    """A run being recorded. Use as a context manager (``with start_run() as run:``)."""

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        from gitops_ml.runs import sidechannel

        self._side = os.environ.get(sidechannel.ENV_RUN_FILE)
        self._active: recorder.ActiveRun | None = None
        self._initial = dict(params or {})
        self._name = name
        self._tags = list(tags or [])
        self.id: str = os.environ.get(sidechannel.ENV_RUN_ID, "") if self._side else ""
        self.record: dict[str, Any] | None = None

    @property
    def nested(self) -> bool:
        """True when this process runs under ``gitops-ml run`` and logs into that run."""
        return self._side is not None

    def __enter__(self) -> Run:
        from gitops_ml.core import config, gitstore
        from gitops_ml.runs import recorder

        if self._side is not None:
            self._emit({"params": self._initial, "tags": self._tags})
            return self
        repo = gitstore.open_repo()
        command = None
        if sys.argv and sys.argv[0].endswith(".py"):
            command = ["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]
        spec = recorder.RunSpec(
            command=command, name=self._name, params=self._initial, tags=self._tags
        )
        self._active = recorder.ActiveRun(repo, config.load(repo.top), spec)
        self._active.begin()
        self.id = self._active.id
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._active is None:
            return
        code = 0 if exc_type is None else (130 if exc_type is KeyboardInterrupt else 1)
        self.record = self._active.finish(code)
        self._active = None

    def _emit(self, item: dict[str, Any]) -> None:
        if self._active is not None:
            self._active.merge(item)
            return
        if self._side is None:
            raise UsageError("log_* called outside 'with start_run() as run:'")
        with open(self._side, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(item, default=str) + "\n")

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record params (nested mappings become dotted keys)."""
        self._emit({"params": dict(params)})

    def log_param(self, key: str, value: Any) -> None:
        self._emit({"params": {key: value}})

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record metrics; a later value for the same key replaces the earlier one."""
        self._emit({"metrics": dict(metrics)})

    def log_metric(self, key: str, value: Any) -> None:
        self._emit({"metrics": {key: value}})

    def log_seeds(self, **seeds: Any) -> None:
        """Record the random seeds the script set (reproduce sets nothing itself)."""
        self._emit({"seeds": seeds})

    def set_tags(self, *tags: str) -> None:
        self._emit({"tags": list(tags)})

    def log_artifact(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Hash a file into the local content store and record it with the run."""
        from gitops_ml.core import gitstore
        from gitops_ml.core.hashing import HashCache, hash_path
        from gitops_ml.data.cache import LocalStore
        from gitops_ml.runs import sidechannel

        root = Path(os.environ.get(sidechannel.ENV_RUN_ROOT) or gitstore.open_repo().top)
        full = Path(path).resolve()
        try:
            rel = full.relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{path}: artifacts must be inside the repository ({root})") from None
        repo = gitstore.open_repo(root)
        entry = hash_path(root.resolve(), rel, HashCache(None))
        LocalStore(repo.state_dir).put_entry(root.resolve(), entry)
        item = entry.record()
        self._emit({"artifact": item})
        return item

    def log_reference(self, features: Any) -> dict[str, Any]:
        """Record the profile of the training features (rows, columns or a data frame):
        the reference ``gitops-ml serve`` measures drift against. Kept in the content
        store and recorded as an artifact with ``role: reference``."""
        from gitops_ml.core import gitstore
        from gitops_ml.data.cache import LocalStore
        from gitops_ml.monitor import reference
        from gitops_ml.runs import recorder

        data = reference.dumps(reference.build(features))
        root = Path(os.environ.get(recorder.ENV_RUN_ROOT) or gitstore.open_repo().top)
        digest = LocalStore(gitstore.open_repo(root).state_dir).put_bytes(data)
        item = {
            "path": reference.REFERENCE_PATH,
            "hash": digest,
            "size": len(data),
            "kind": "file",
            "role": "reference",
        }
        self._emit({"artifact": item})
        return item


def start_run(
    params: Mapping[str, Any] | None = None, name: str | None = None, tags: list[str] | None = None
) -> Run:
    """Start recording a run: ``with gitops_ml.start_run(params={"lr": 0.1}) as run: ...``."""
    return Run(params=params, name=name, tags=tags)


def current_params() -> dict[str, Any]:
    """The params of the run this process belongs to (set by ``gitops-ml run``), else {}."""
    from gitops_ml.runs import sidechannel

    where = os.environ.get(sidechannel.ENV_PARAMS_FILE)
    if where:
        try:
            with open(where, encoding="utf-8") as fh:
                return dict(json.load(fh))
        except (OSError, ValueError):
            pass
    raw = os.environ.get(sidechannel.ENV_PARAMS)
    return dict(json.loads(raw)) if raw else {}


def load_run(run: str, repo: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The full record of a run by id or unique prefix."""
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index

    return index.full_record(gitstore.open_repo(repo), run)
