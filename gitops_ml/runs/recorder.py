"""Recording a run: snapshot, params, data, the command, metrics, outputs, the record.

Used by ``gitops-ml run`` and by :func:`gitops_ml.start_run`. Nothing is written to refs
until :meth:`ActiveRun.finish`, which writes the whole run in one atomic ref transaction.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from gitops_ml.core import config as config_mod
from gitops_ml.core import environment, gitstore, ids, record
from gitops_ml.core.errors import UsageError
from gitops_ml.core.hashing import DataEntry, HashCache, hash_path
from gitops_ml.core.params import apply_overrides, dump, flatten, load_file
from gitops_ml.data.cache import LocalStore

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

ENV_RUN_ID = "GITOPS_ML_RUN_ID"
ENV_RUN_FILE = "GITOPS_ML_RUN_FILE"
ENV_RUN_ROOT = "GITOPS_ML_RUN_ROOT"
ENV_PARAMS = "GITOPS_ML_PARAMS"

_SEED = ("seed", "random_state")


def _iso(ts: float) -> str:
    """``2026-01-31T12:00:00.123Z`` (UTC, milliseconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def _warn(message: str) -> None:
    print(f"gitops-ml: warning: {message}", file=sys.stderr)


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
    ) -> None:
        self.command = command
        self.name = name
        self.overrides = overrides or {}
        self.params = params or {}  # from the Python API
        self.tags = tags or []
        self.isolated = isolated
        self.reproduces = reproduces
        self.extra_env = extra_env or {}
        self.replay = replay


def store_entry(store: LocalStore, root: Path, entry: DataEntry) -> None:
    """Put a hashed file or directory (its files and manifest) into the local store."""
    full = root / entry.path
    if entry.kind == "file":
        store.put_file(full, entry.hash)
        return
    assert entry.manifest is not None
    from gitops_ml.core.hashing import manifest_lines

    for digest, _, rel in manifest_lines(entry.manifest):
        store.put_file(full / rel, digest)
    store.put_bytes(entry.manifest)


class ActiveRun:
    """One run between :meth:`begin` and :meth:`finish`."""

    def __init__(self, repo: gitstore.Repo, cfg: config_mod.Config, spec: RunSpec) -> None:
        self.repo = repo
        self.cfg = cfg
        self.spec = spec
        self.id = ids.new_id()
        self.started = time.time()
        self.root = repo.top  # where the command runs (a worktree when isolated)
        self.cwd = Path(os.getcwd())
        self.params: dict[str, Any] = {}
        self.api_metrics: dict[str, Any] = {}
        self.api_params: dict[str, Any] = dict(spec.params)
        self.artifacts: list[dict[str, Any]] = []
        self.seeds: dict[str, Any] = {}
        self.tags = list(spec.tags)
        self._restore: dict[Path, bytes | None] = {}
        self._worktree: Path | None = None
        self._side_file = repo.tmp_dir() / f"run-{self.id}.jsonl"
        self._journal = repo.state_dir / "restore" / f"{self.id}.json"
        self.hash_cache = HashCache(repo.state_dir / "hashcache.json")
        self.store = LocalStore(repo.state_dir)
        self.data: list[dict[str, Any]] = []
        self.head: str | None = None
        self.branch: str | None = None
        self.dirty = False
        self.snapshot: gitstore.Snapshot | None = None
        self._before: dict[str, object] = {}  # metrics/outputs as they were before the command
        self._params_lock: Path | None = None
        self._executed = False  # the command ran as a child (not the Python API in-process)

    # ------------------------------------------------------------ begin

    def begin(self) -> None:
        """Snapshot the work tree (with params overrides applied) and hash the data."""
        repo, cfg = self.repo, self.cfg
        recover_interrupted(repo)
        if self.spec.replay is not None:
            self._begin_replay(self.spec.replay)
            return
        self.head, head_tree, self.branch = gitstore.head_info(repo)
        files = {rel: load_file(repo.top / rel, rel, repo.top) for rel in cfg.params}
        overrides: dict[str, bytes] = {}
        if self.spec.overrides:
            if not files:
                self.api_params.update(self.spec.overrides)
            files, changed = apply_overrides(files, self.spec.overrides)
            overrides = {rel: dump(files[rel], rel) for rel in changed}
        if overrides and not self.spec.isolated:
            self._claim_params()
        for content in files.values():
            self.params.update(flatten(content))
        self.params.update(flatten(self.api_params))
        self.snapshot = gitstore.snapshot(
            repo,
            exclude=cfg.data,
            max_untracked_bytes=cfg.max_untracked_bytes,
            overrides=overrides,
        )
        for rel, size in self.snapshot.skipped:
            _warn(
                f"{rel if rel.isprintable() else repr(rel)} ({size / 1e6:.1f} MB) left out of the run's snapshot: larger than "
                f"max_untracked_mb ({cfg.max_untracked_mb:g} MB); declare it as data in gitops-ml.yaml"
            )
        self.dirty = self.snapshot.tree != head_tree
        self._hash_data(repo.top)
        if self.spec.isolated:
            self._make_worktree()
        elif overrides:
            for rel in overrides:
                target = repo.top / rel
                self._restore[target] = target.read_bytes() if target.exists() else None
            # A journal first: a run killed before it restores the files leaves what the
            # next run needs to put them back (see recover_interrupted).
            _write_journal(self._journal, self._restore, overrides, repo.top)
            for rel, new_bytes in overrides.items():
                (repo.top / rel).write_bytes(new_bytes)
        self._before = {rel: _signature(self.root / rel) for rel in cfg.metrics + cfg.outputs}

    def _begin_replay(self, replay: Replay) -> None:
        """:meth:`begin` for a re-run of a snapshot already checked out at ``replay.root``."""
        if self.spec.overrides or self.spec.isolated:
            raise UsageError("a replayed run takes no params overrides and is not --isolated")
        self.root = replay.root
        self.cwd = replay.root / replay.cwd
        self.head, self.branch, self.dirty = replay.base, replay.branch, replay.dirty
        self.snapshot = gitstore.Snapshot(tree=replay.tree)
        for rel in self.cfg.params:
            self.params.update(flatten(load_file(self.root / rel, rel)))
        self.params.update(flatten(self.api_params))
        self._hash_data(self.root)
        self._before = {
            rel: _signature(self.root / rel) for rel in self.cfg.metrics + self.cfg.outputs
        }

    def _hash_data(self, top: Path) -> None:
        """Hash the declared data under ``top`` into the record and the local store."""
        for rel in self.cfg.data:
            if not (top / rel).exists():
                _warn(f"declared data {rel} does not exist; not recorded")
                continue
            entry = hash_path(top, rel, self.hash_cache)
            store_entry(self.store, top, entry)
            self.data.append(entry.record())
        self.hash_cache.save()

    def _make_worktree(self) -> None:
        assert self.snapshot is not None
        commit = gitstore.make_commit(
            self.repo, self.snapshot.tree, self.head, f"gitops-ml run {self.id} (isolated)"
        )
        where = self.repo.state_dir / "worktrees" / self.id
        where.parent.mkdir(parents=True, exist_ok=True)
        _owner_file(where).write_text(_owner())
        gitstore.add_worktree(self.repo, commit, where)
        self._worktree = where
        # Declared data is not in snapshots: the isolated run reads it from the main tree.
        for rel in self.cfg.data:
            src = self.repo.top / rel
            dst = where / rel
            if src.exists() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.symlink_to(src, target_is_directory=src.is_dir())
        self.root = where
        rel_cwd = os.path.relpath(self.cwd, self.repo.top)
        self.cwd = where / rel_cwd if not rel_cwd.startswith("..") else where

    # ------------------------------------------------------------ execute

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.spec.extra_env)
        env[ENV_RUN_ID] = self.id
        env[ENV_RUN_FILE] = str(self._side_file)
        env[ENV_RUN_ROOT] = str(self.root)
        env[ENV_PARAMS] = json.dumps(self.params, default=str)
        return env

    def execute(self) -> int:
        """Run the command with stdout/stderr passed through; return its exit code."""
        command = self.spec.command
        assert command
        self._executed = True
        try:
            proc = subprocess.Popen(command, cwd=self.cwd, env=self.child_env())
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            self.abort()
            raise UsageError(f"cannot start {command[0]!r}: {exc.strerror}") from None

        def forward(signum: int, _frame: object) -> None:
            proc.send_signal(signum)

        previous = signal.signal(signal.SIGTERM, forward)
        try:
            while True:
                try:
                    code = proc.wait()
                    break
                except KeyboardInterrupt:
                    # The child got the same SIGINT from the terminal; wait for it to end.
                    continue
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 128 - code if code < 0 else code

    # ------------------------------------------------------------ finish

    def _read_side_channel(self) -> None:
        try:
            lines = self._side_file.read_text().splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.merge(item)

    def merge(self, item: Mapping[str, Any]) -> None:
        """Merge one logged item (params, metrics, artifact, tags, seeds) into the run."""
        self.params.update(flatten(dict(item.get("params") or {})))
        self.api_metrics.update(flatten(dict(item.get("metrics") or {})))
        self.seeds.update(item.get("seeds") or {})
        for tag in item.get("tags") or []:
            if tag not in self.tags:
                self.tags.append(tag)
        if item.get("artifact"):
            self.artifacts.append(dict(item["artifact"]))

    def _fresh(self, paths: list[str]) -> list[str]:
        """The paths this run wrote: a metrics file or output left unchanged by the
        command is an earlier run's, and is not recorded as this one's."""
        fresh = []
        for rel in paths:
            now = _signature(self.root / rel)
            if now is not None and now == self._before.get(rel):
                _warn(f"{rel} was not written by this run (it is left from before); not recorded")
                continue
            fresh.append(rel)
        return fresh

    def _outputs(self) -> list[dict[str, Any]]:
        outs = []
        for rel in self._fresh(self.cfg.outputs):
            if not (self.root / rel).exists():
                continue
            entry = hash_path(self.root, rel, self.hash_cache)
            store_entry(self.store, self.root, entry)
            outs.append(entry.record())
        return outs

    def _seeds(self) -> dict[str, Any]:
        seeds = {
            k: v
            for k, v in self.params.items()
            if any(s in k.rsplit(".", 1)[-1].lower() for s in _SEED)
        }
        hashseed = self.spec.extra_env.get("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED"))
        if hashseed is not None:
            seeds["PYTHONHASHSEED"] = hashseed
        seeds.update(self.seeds)
        return seeds

    def finish(self, exit_code: int) -> dict[str, Any]:
        """Collect metrics and outputs and write the run (one atomic ref update)."""
        from gitops_ml.core.metrics import read_metrics

        try:
            self._restore_files()  # the user's params files first: the command is done
            self._read_side_channel()
            ended = time.time()
            metrics = read_metrics(self.root, self._fresh(self.cfg.metrics), on_error=_warn)
            metrics.update(self.api_metrics)
            outputs = self._outputs()
            self.hash_cache.save()
            name_email = gitstore.identity(self.repo)
            replay = self.spec.replay
            if replay is not None and replay.environment is not None:
                env = replay.environment
            else:
                interp = (
                    environment.command_interpreter(
                        self.spec.command,
                        self.spec.extra_env.get("PATH", os.environ.get("PATH")),
                        self.repo.state_dir,
                    )
                    if self._executed
                    else None
                )
                env = environment.capture(
                    self.root, self.cfg.lockfile, self.repo.state_dir, self.cfg.env, interp
                )
            rec: dict[str, Any] = {
                "schema": record.SCHEMA_VERSION,
                "id": self.id,
                "name": self.spec.name,
                "command": self.spec.command,
                "cwd": replay.cwd if replay else self.repo.prefix.rstrip("/") or ".",
                "exit_code": exit_code,
                "started": _iso(self.started),
                "ended": _iso(ended),
                "duration": round(ended - self.started, 3),
                "user": {"name": name_email[0], "email": name_email[1]},
                "host": os.uname().nodename,
                "git": {
                    "base": self.head,
                    "branch": self.branch,
                    "dirty": self.dirty,
                    "tree": self.snapshot.tree if self.snapshot else None,
                },
                "params": self.params,
                "metrics": metrics,
                "data": self.data,
                "outputs": outputs,
                "artifacts": self.artifacts,
                "environment": env,
                "seeds": self._seeds(),
                "tags": self.tags,
                "isolated": self.spec.isolated,
                "reproduces": self.spec.reproduces,
                "skipped": [
                    {"path": p, "size": s}
                    for p, s in (self.snapshot.skipped if self.snapshot else [])
                ],
            }
            note = json.dumps(
                {
                    "type": "run",
                    "run": self.id,
                    "name": self.spec.name,
                    "exit_code": exit_code,
                    "metrics": metrics,
                    "user": name_email[1],
                    "started": rec["started"],
                },
                sort_keys=True,
                separators=(",", ":"),
                default=str,
            )
            assert self.snapshot is not None
            commit = gitstore.write_run(
                self.repo,
                self.id,
                tree=self.snapshot.tree,
                parent=self.head,
                message=record.message(rec),
                ident=name_email,
                when=self.started,
                note_lines={self.head: note} if self.head else {},
            )
            rec["git"]["snapshot"] = commit
            return rec
        finally:
            self.cleanup()

    def abort(self) -> None:
        self.cleanup()

    def _claim_params(self) -> None:
        """Hold the params files for an in-place run with overrides, or refuse at once.

        Two in-place runs with ``-p`` would overwrite each other's params and restore the
        wrong bytes; parallel runs with different params are what ``--isolated`` is for.
        """
        lock = self._journal.parent / "params.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    owner = lock.read_text()
                except OSError:
                    owner = ""
                if owner and _owner_alive(owner):
                    raise UsageError(
                        f"another in-place run with -p is using the params files (process {owner}); "
                        "use --isolated to run with different params in parallel"
                    ) from None
                lock.unlink(missing_ok=True)
                continue
            os.write(fd, _owner().encode())
            os.close(fd)
            self._params_lock = lock
            return
        raise UsageError("could not lock the params files; retry")

    def _restore_files(self) -> None:
        for path, content in self._restore.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        self._restore.clear()
        self._journal.unlink(missing_ok=True)
        if self._params_lock is not None:
            self._params_lock.unlink(missing_ok=True)
            self._params_lock = None

    def cleanup(self) -> None:
        self._restore_files()
        self._side_file.unlink(missing_ok=True)
        if self._worktree is not None:
            gitstore.remove_worktree(self.repo, self._worktree)
            _owner_file(self._worktree).unlink(missing_ok=True)
            self._worktree = None


def _signature(path: Path) -> object:
    """``(size, mtime, inode)`` of a file, of every file under a directory; None if absent."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_dir():
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    sig = []
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            try:
                fst = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            sig.append((dirpath, name, fst.st_size, fst.st_mtime_ns, fst.st_ino))
    return sorted(sig)


# ---------------------------------------------------------------- after a SIGKILL


def _owner() -> str:
    return f"{os.uname().nodename} {os.getpid()}"


def _owner_file(worktree: Path) -> Path:
    return worktree.with_name(worktree.name + ".owner")


def _owner_alive(owner: str) -> bool:
    """Whether the process named by ``"host pid"`` may still run (other hosts: assume yes)."""
    host, _, pid = owner.strip().rpartition(" ")
    if host != os.uname().nodename:
        return True  # cannot tell from here
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_journal(
    path: Path, originals: Mapping[Path, bytes | None], written: Mapping[str, bytes], top: Path
) -> None:
    import base64

    from gitops_ml.core.hashing import hash_bytes

    files = {
        rel: {
            "original": None
            if originals[top / rel] is None
            else base64.b64encode(originals[top / rel] or b"").decode(),
            "written": hash_bytes(content),
        }
        for rel, content in written.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"owner": _owner(), "files": files}))
    os.replace(tmp, path)


def recover_interrupted(repo: gitstore.Repo) -> None:
    """Undo what a killed run left behind: params files it overrode, its worktree.

    A params file is put back only if it still holds exactly what the killed run wrote;
    otherwise its original stays in the journal (renamed ``*.kept``) and a warning says where.
    """
    import base64

    from gitops_ml.core.hashing import hash_bytes

    restore_dir = repo.state_dir / "restore"
    lock = restore_dir / "params.lock"
    try:
        if not _owner_alive(lock.read_text()):
            lock.unlink(missing_ok=True)
    except OSError:
        pass
    for journal in sorted(restore_dir.glob("*.json")) if restore_dir.is_dir() else []:
        try:
            data = json.loads(journal.read_text())
        except (OSError, ValueError):
            continue
        if _owner_alive(str(data.get("owner", ""))):
            continue
        run_id = journal.stem
        kept = False
        for rel, item in (data.get("files") or {}).items():
            target = repo.top / rel
            current = target.read_bytes() if target.exists() else None
            if current is None or hash_bytes(current) != item.get("written"):
                kept = True
                _warn(
                    f"{rel}: changed since interrupted run {run_id} overrode it; its original"
                    f" content is kept in {journal}.kept"
                )
                continue
            original = item.get("original")
            if original is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(base64.b64decode(original))
            _warn(f"{rel}: restored after interrupted run {run_id} (killed before it finished)")
        if kept:
            os.replace(journal, journal.with_name(journal.name + ".kept"))
        else:
            journal.unlink(missing_ok=True)
    worktrees = repo.state_dir / "worktrees"
    for owner_file in sorted(worktrees.glob("*.owner")) if worktrees.is_dir() else []:
        try:
            owner = owner_file.read_text()
        except OSError:
            continue
        if not _owner_alive(owner):
            gitstore.remove_worktree(repo, owner_file.with_suffix(""))
            owner_file.unlink(missing_ok=True)


def run_command(
    spec: RunSpec,
    cwd: str | None = None,
    *,
    repo: gitstore.Repo | None = None,
    cfg: config_mod.Config | None = None,
) -> tuple[int, dict[str, Any]]:
    """Record ``spec.command`` as a run: returns (the command's exit code, the record)."""
    repo = repo or gitstore.open_repo(cwd)
    cfg = cfg or config_mod.load(repo.top)
    active = ActiveRun(repo, cfg, spec)
    try:
        active.begin()
    except BaseException:
        active.abort()
        raise
    code = active.execute()
    return code, active.finish(code)
