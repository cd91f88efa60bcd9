"""Recording a run: snapshot, params, data, the command, metrics, outputs, the record.

Used by ``gitops-ml run``, ``reproduce`` and :func:`gitops_ml.start_run`. Nothing is
written to refs until :meth:`ActiveRun.finish`, which writes the whole run in one atomic
ref transaction. The concerns live in their own modules: :mod:`.snapshotting` (params,
snapshot, data), :mod:`.paramsfiles` (the lock, the journal, restoring),
:mod:`.isolation` (``--isolated`` worktrees), :mod:`.child` (the process and signals),
:mod:`.sidechannel` (what the API logs), :mod:`.outputs`; the record is
:func:`gitops_ml.core.record.build`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from gitops_ml.core import config as config_mod
from gitops_ml.core import gitstore, ids, record
from gitops_ml.core.errors import UsageError
from gitops_ml.core.hashing import DataEntry, HashCache
from gitops_ml.data.cache import LocalStore
from gitops_ml.runs import (
    child,
    isolation,
    paramsfiles,
    runenv,
    sidechannel,
    snapshotting,
)
from gitops_ml.runs.console import warn
from gitops_ml.runs.outputs import Produced, seeds

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

# Names other modules and user scripts know (the side channel is the API's contract).
ENV_RUN_ID = sidechannel.ENV_RUN_ID
ENV_RUN_FILE = sidechannel.ENV_RUN_FILE
ENV_RUN_ROOT = sidechannel.ENV_RUN_ROOT
ENV_PARAMS = sidechannel.ENV_PARAMS
__all__ = ["ActiveRun", "Replay", "RunSpec", "recover_interrupted", "run_command"]


class Replay:
    """Re-running a recorded snapshot (``reproduce``) instead of the user's work tree.

    The command runs in ``root``, a checkout of the snapshot ``tree``; the new run records
    that tree as its code (no new snapshot is taken), ``base`` as its parent commit, and
    ``environment`` (the rebuilt environment's record) instead of the current interpreter's.
    """

    def __init__(
        self,
        root: Path,
        tree: str,
        base: str | None,
        *,
        branch: str | None = None,
        dirty: bool = False,
        cwd: str = ".",
        environment: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.tree = tree
        self.base = base
        self.branch = branch
        self.dirty = dirty
        self.cwd = cwd  # where the command runs, relative to ``root``
        self.environment = environment


class RunSpec:
    """What the user asked for (plain classes here: ``dataclasses`` costs ~6 ms to import)."""

    def __init__(
        self,
        command: list[str] | None,
        *,
        name: str | None = None,
        overrides: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        isolated: bool = False,
        reproduces: str | None = None,
        extra_env: dict[str, str] | None = None,
        replay: Replay | None = None,
        stdout_to_stderr: bool = False,
    ) -> None:
        self.command = command
        self.name = name
        self.overrides = overrides or {}  # -p: dotted keys, "+key" to add one
        self.params = params or {}  # from the Python API
        self.tags = tags or []
        self.isolated = isolated
        self.reproduces = reproduces
        self.extra_env = extra_env or {}
        self.replay = replay
        self.stdout_to_stderr = stdout_to_stderr  # run --json: stdout holds the record only


class ActiveRun:
    """One run between :meth:`begin` and :meth:`finish`."""

    def __init__(self, repo: gitstore.Repo, cfg: config_mod.Config, spec: RunSpec) -> None:
        self.repo, self.cfg, self.spec = repo, cfg, spec
        self.id = ids.new_id()
        self.started = time.time()
        self.root = repo.top  # where the command runs (a worktree when isolated)
        self.cwd = Path(os.getcwd())
        self.params: dict[str, Any] = {}
        self.logged = sidechannel.Logged(spec.params, spec.tags)
        self.hash_cache = HashCache.for_repo(repo.state_dir)
        self.store = LocalStore(repo.state_dir)
        self.data: list[DataEntry] = []
        self.head: str | None = None
        self.branch: str | None = None
        self.dirty = False
        self.snapshot: gitstore.Snapshot | None = None
        replay = spec.replay
        self.env = runenv.RunEnvironment(
            repo,
            cfg,
            command=spec.command,
            extra_env=spec.extra_env,
            replayed=replay.environment if replay else None,
            top=replay.root if replay else None,
        )
        self._produced: Produced | None = None
        self._side = repo.tmp_dir() / f"run-{self.id}.jsonl"
        self._params_file = self._side.with_name(f"run-{self.id}.params.json")
        self._restore_dir = repo.state_dir / "restore"
        self._lock: paramsfiles.ParamsLock | None = None
        self._overridden: paramsfiles.Overridden | None = None
        self._worktree: isolation.IsolatedTree | None = None

    # ------------------------------------------------------------ begin

    def begin(self, *, executes: bool = False) -> None:
        """Snapshot the work tree (with params overrides applied) and hash the data.

        ``executes``: the command will run as a child (:meth:`execute`), so the
        environment recorded is its Python's; found meanwhile, in a thread, with the git
        identity (both wait on other processes while the snapshot waits on git).
        """
        recover_interrupted(self.repo)
        gitstore.check_state(self.repo)  # damaged notes/environments: stop before the command
        self.env.start(executes=executes)
        if self.spec.replay is not None:
            self._begin_replay(self.spec.replay)
            return
        repo, cfg, spec = self.repo, self.cfg, self.spec
        self.head, head_tree, self.branch = gitstore.head_info(repo)
        params = snapshotting.read_params(repo.top, cfg, spec.overrides)
        self.logged.params.update(params.api)
        self._set_params(params.flat)
        if params.written and not spec.isolated:
            self._lock = paramsfiles.claim(self._restore_dir)
        self.snapshot = snapshotting.take_snapshot(repo, cfg, params.written)
        self.dirty = self.snapshot.tree != head_tree
        self.data = snapshotting.hash_data(repo.top, cfg.data, self.hash_cache, self.store)
        if spec.isolated:
            self._isolate()
        elif params.written:
            self._overridden = paramsfiles.Overridden(repo.top, self._restore_dir, self.id)
            self._overridden.write(params.written)
        self._produced = Produced(self.root, cfg.metrics + cfg.outputs)

    def _set_params(self, from_files: Mapping[str, Any]) -> None:
        self.params = dict(from_files)
        self.params.update(self.logged.params)

    def _isolate(self) -> None:
        assert self.snapshot is not None
        self._worktree = isolation.IsolatedTree(self.repo, self.id)
        where = self._worktree.create(self.snapshot.tree, self.head, self.data)
        self.root = where
        rel_cwd = os.path.relpath(self.cwd, self.repo.top)
        self.cwd = where / rel_cwd if not rel_cwd.startswith("..") else where

    def _begin_replay(self, replay: Replay) -> None:
        """:meth:`begin` for a re-run of a snapshot already checked out at ``replay.root``."""
        if self.spec.overrides or self.spec.isolated:
            raise UsageError("a replayed run takes no params overrides and is not --isolated")
        self.root = replay.root
        self.cwd = replay.root / replay.cwd
        self.head, self.branch, self.dirty = replay.base, replay.branch, replay.dirty
        self.snapshot = gitstore.Snapshot(tree=replay.tree)
        self._set_params(snapshotting.read_params(self.root, self.cfg, {}).flat)
        self.data = snapshotting.hash_data(self.root, self.cfg.data, self.hash_cache, self.store)
        self._produced = Produced(self.root, self.cfg.metrics + self.cfg.outputs)

    def merge(self, item: Mapping[str, Any]) -> None:
        """Merge one logged item (params, metrics, artifact, tags, seeds) into the run."""
        self.logged.merge(item)

    # ------------------------------------------------------------ execute

    def execute(self, signals: child.Signals | None = None) -> int:
        """Run the command with stdout/stderr passed through; return its exit code."""
        command = self.spec.command
        assert command
        if signals is not None:
            signals.starting = True
        try:
            run = {ENV_RUN_ID: self.id, ENV_RUN_FILE: str(self._side), ENV_RUN_ROOT: str(self.root)}
            env = self.env.child_env(run, self.params, self._params_file)
            proc = child.start(command, self.cwd, env, stdout_to_stderr=self.spec.stdout_to_stderr)
        except BaseException:
            if signals is not None:
                signals.starting = False
            self.abort()
            raise
        if signals is not None:
            signals.attach(proc)
        code = child.wait(proc)
        if signals is not None:
            signals.detach()
        return code

    # ------------------------------------------------------------ finish

    def finish(self, exit_code: int) -> dict[str, Any]:
        """Collect metrics and outputs and write the run (one atomic ref update)."""
        try:
            self._restore_files()  # the user's params files first: the command is done
            self.logged.read(self._side)
            self.params.update(self.logged.params)
            rec, whole_env = self._record(exit_code)
            assert self.snapshot is not None
            commit = gitstore.write_run(
                self.repo,
                self.id,
                tree=self.snapshot.tree,
                parent=self.head,
                message=record.message(rec),
                ident=(rec["user"]["name"], rec["user"]["email"]),
                when=self.started,
                environment=record.environment_file(whole_env),
            )
            rec["git"]["snapshot"] = commit
            rec["environment"] = {**whole_env, **rec["environment"]}  # type: ignore[typeddict-item]
            from gitops_ml.core import archive

            archive.maybe_compact(self.repo)  # past LOCAL_ABOVE run refs: into the archive
            return rec  # type: ignore[return-value]
        finally:
            self.cleanup()

    def _record(self, exit_code: int) -> tuple[record.RunRecord, dict[str, Any]]:
        """The record (:func:`record.build`) and the whole environment captured."""
        from gitops_ml.core.metrics import read_metrics

        ended = time.time()
        assert self._produced is not None and self.snapshot is not None
        metrics = read_metrics(self.root, self._produced.fresh(self.cfg.metrics), on_error=warn)
        metrics.update(self.logged.metrics)
        outputs = self._produced.outputs(self.cfg.outputs, self.hash_cache, self.store)
        self.hash_cache.save()
        replay = self.spec.replay
        hashseed = self.env.environ().get("PYTHONHASHSEED")
        skipped = self.snapshot.skipped + self.snapshot.secrets
        whole_env = self.env.result()
        env_entry, _ = record.split_environment(whole_env)
        ident = gitstore.identity(self.repo)
        rec = record.build(
            run_id=self.id,
            name=self.spec.name,
            command=self.spec.command,
            cwd=replay.cwd if replay else self.repo.prefix.rstrip("/") or ".",
            exit_code=exit_code,
            started=self.started,
            ended=ended,
            user=ident,
            host=os.uname().nodename,
            base=self.head,
            branch=self.branch,
            dirty=self.dirty,
            tree=self.snapshot.tree,
            params=self.params,
            metrics=metrics,
            data=[entry.record() for entry in self.data],  # type: ignore[misc]
            outputs=outputs,  # type: ignore[arg-type]
            artifacts=self.logged.artifacts,
            environment=env_entry,
            seeds=seeds(self.params, self.logged.seeds, hashseed),
            tags=self.logged.tags,
            isolated=self.spec.isolated,
            reproduces=self.spec.reproduces,
            skipped=skipped,
        )
        return rec, whole_env

    def abort(self) -> None:
        """Give the run up: params files restored, worktree removed, nothing recorded."""
        self.cleanup()

    def _restore_files(self) -> None:
        if self._overridden is not None:
            self._overridden.restore()
            self._overridden = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def cleanup(self) -> None:
        self._restore_files()
        self._side.unlink(missing_ok=True)
        self._params_file.unlink(missing_ok=True)
        if self._worktree is not None:
            self._worktree.remove()
            self._worktree = None


def recover_interrupted(repo: gitstore.Repo) -> None:
    """Undo what a killed run left behind: params files it overrode, its worktree."""
    paramsfiles.recover(repo.top, repo.state_dir / "restore")
    isolation.recover(repo)


def run_command(
    spec: RunSpec,
    cwd: str | None = None,
    *,
    repo: gitstore.Repo | None = None,
    cfg: config_mod.Config | None = None,
) -> tuple[int, dict[str, Any]]:
    """Record ``spec.command`` as a run: returns (the command's exit code, the record).

    SIGTERM and SIGHUP are handled like Ctrl-C (see :mod:`gitops_ml.runs.child`).
    """
    repo = repo or gitstore.open_repo(cwd)
    cfg = cfg or config_mod.load(repo.top)
    signals = child.Signals()
    signals.install()
    try:
        active = ActiveRun(repo, cfg, spec)
        try:
            active.begin(executes=True)
        except BaseException:
            active.abort()
            raise
        code = active.execute(signals)
        return code, active.finish(code)
    finally:
        signals.restore()
