"""The environment of a run: the Python its command runs under (recorded), and the
environment variables the command gets.

Found in a thread while the snapshot waits on git (:meth:`RunEnvironment.start`): the
interpreter lookup and the distribution scan wait on files and, the first time, on the
interpreter itself; the git identity the record needs is looked up there too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from gitops_ml.core import config as config_mod
from gitops_ml.core import environment, gitstore
from gitops_ml.runs import child, sidechannel
from gitops_ml.runs.console import warn

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


class RunEnvironment:
    """The ``environment`` record of one run and the variables of its command."""

    def __init__(
        self,
        repo: gitstore.Repo,
        cfg: config_mod.Config,
        *,
        command: list[str] | None,
        extra_env: Mapping[str, str],
        replayed: Mapping[str, Any] | None = None,
        top: Path | None = None,
    ) -> None:
        self.repo, self.cfg = repo, cfg
        self.command = command
        self.extra_env = dict(extra_env)
        self.replayed = replayed  # reproduce: the rebuilt environment's record
        self.top = top or repo.top  # where the lockfile is
        self.record: dict[str, Any] | None = None
        self._task: _Background | None = None

    def environ(self) -> dict[str, str]:
        """This process's environment with the run's extra variables."""
        env = dict(os.environ)
        env.update(self.extra_env)
        return env

    def start(self, *, executes: bool) -> None:
        """Find the environment (and the git identity) in a thread; ``executes``: the
        command runs as a child, so its Python is the one recorded."""
        self._task = _Background(self._find, executes)

    def result(self) -> dict[str, Any]:
        """The ``environment`` record (waits for :meth:`start`, or finds it now)."""
        if self._task is not None:
            self._task.result()
        if self.record is None:
            self._find(False)
        assert self.record is not None
        return self.record

    def _find(self, executes: bool) -> None:
        gitstore.identity(self.repo)  # remembered for the record
        if self.replayed is not None:
            self.record = dict(self.replayed)
            return
        environ = self.environ()
        interp = None
        if executes:
            interp = environment.command_interpreter(
                self.command,
                environ.get("PATH"),
                self.repo.state_dir,
                configured=self.cfg.interpreter,
                top=self.repo.top,
            )
        variables, refused = environment.screen_env(self.cfg.env, environ)
        for name in refused:
            if name in self.cfg.env:
                warn(f"environment variable {name} not recorded: it looks like a credential")
        state = self.repo.state_dir
        self.record = environment.capture(
            self.top, self.cfg.lockfile, state, self.cfg.env, interp, variables=variables
        )
        from gitops_ml.core.lockfiles import warn_unpinned_once

        unpinned = warn_unpinned_once(self.top, state, self.record.get("lockfile"))
        if unpinned:
            warn(unpinned)

    def child_env(
        self, run: Mapping[str, str], params: Mapping[str, Any], params_file: Path
    ) -> dict[str, str]:
        """The command's variables: ``run`` (the run's ``GITOPS_ML_*`` names), its params
        (a file, and inline when small), and the API made importable when the command's
        Python lacks gitops-ml."""
        env = self.environ()
        env.update(run)
        text = sidechannel.write_params(params_file, params)
        env[sidechannel.ENV_PARAMS_FILE] = str(params_file)
        if len(text) <= sidechannel.INLINE_PARAMS_MAX:
            env[sidechannel.ENV_PARAMS] = text
        else:
            env.pop(sidechannel.ENV_PARAMS, None)
        rec = self.result()
        dists = rec.get("distributions") or {}
        if self.replayed is None and "gitops-ml" not in dists:
            same = _minor(str(rec.get("python", ""))) == _minor(
                environment.current_interpreter().version
            )
            shim = child.api_shim(self.repo.state_dir, blake3=same and "blake3" not in dists)
            child.with_shim(env, shim)
        return env


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


class _Background:
    """``fn(arg)`` in a thread; :meth:`result` waits for it (and raises its error)."""

    def __init__(self, fn: Callable[[bool], None], arg: bool) -> None:
        import threading

        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, arg), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[bool], None], arg: bool) -> None:
        try:
            fn(arg)
        except BaseException as exc:  # handed to the thread that waits for the result
            self._error = exc

    def result(self) -> None:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
