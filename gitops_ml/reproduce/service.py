"""Reproduce a recorded run and verify its metrics: the service behind ``gitops-ml reproduce``.

Steps: check the run's snapshot out into a worktree (:mod:`.worktree`; the user's work
tree is never touched); restore its data by hash (local cache, else the ``store``
remote); rebuild its environment (:mod:`.envbuild`); re-run the recorded command there with
the recorded params (in the snapshot), seeds and non-secret variables, recorded as a new
run that ``reproduces`` the original; compare every recorded metric within its tolerance
and every output by hash (:mod:`.verify`); append a ``verify`` fact to the original run's
notes. Printing is the command module's business.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gitops_ml.core import config as config_mod
from gitops_ml.core import environment, gitstore, times
from gitops_ml.core.errors import UsageError
from gitops_ml.core.tolerance import Tolerance
from gitops_ml.reproduce import envbuild, worktree
from gitops_ml.reproduce import verify as _verify
from gitops_ml.reproduce.verify import Verdict
from gitops_ml.runs import index, recorder

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

Log = Callable[[str], None]

__all__ = ["Verdict", "reproduce"]


def _stderr(message: str) -> None:
    print(f"gitops-ml: {message}", file=sys.stderr, flush=True)


def _safe_cwd(value: Any) -> str:
    rel = str(value or ".")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts:
        raise UsageError(f"the run's recorded cwd {rel!r} is outside the repository")
    return rel


@dataclass
class _Target:
    """The run to reproduce, checked before any work."""

    rec: dict[str, Any]
    id: str
    command: list[str]
    snapshot: str
    cwd: str


def _target(repo: gitstore.Repo, run: str) -> _Target:
    rec = index.full_record(repo, run)
    run_id = str(rec["id"])
    command = rec.get("command")
    if not command:
        raise UsageError(
            f"run {run_id} has no command to re-run (it was recorded from a notebook or the "
            "Python API without a script); nothing to reproduce"
        )
    snapshot = (rec.get("git") or {}).get("snapshot")
    if not snapshot:
        raise UsageError(f"run {run_id}: its record names no code snapshot")
    return _Target(rec, run_id, [str(c) for c in command], str(snapshot), _safe_cwd(rec.get("cwd")))


def _child_env(rec: Mapping[str, Any], built: envbuild.BuiltEnv) -> dict[str, str]:
    """Recorded non-secret variables and seeds, and the rebuilt environment first on PATH."""
    env = rec.get("environment") or {}
    extra = {
        str(k): str(v)
        for k, v in (env.get("variables") or {}).items()
        # a masked value (a URL whose password was recorded as ***) is not what ran
        if not environment.is_secret_name(str(k)) and environment.MASK not in str(v)
    }
    seeds = rec.get("seeds") or {}
    if "PYTHONHASHSEED" in seeds:
        extra["PYTHONHASHSEED"] = str(seeds["PYTHONHASHSEED"])
    extra["VIRTUAL_ENV"] = str(built.path)
    extra["PATH"] = str(built.bin_dir) + os.pathsep + os.environ.get("PATH", "")
    extra["PYTHONNOUSERSITE"] = "1"
    # An empty value is ignored by Python: nothing of the host's leaks into sys.path.
    for name in ("PYTHONPATH", "PYTHONHOME"):
        extra.setdefault(name, "")
    return extra


def _restore_data(
    repo: gitstore.Repo,
    cfg: config_mod.Config,
    rec: Mapping[str, Any],
    where: Path,
    *,
    progress: bool,
    log: Log,
) -> None:
    from gitops_ml.data.restore import restore_entries

    data = list(rec.get("data") or [])
    if data:
        log(f"restoring {len(data)} data entr{'y' if len(data) == 1 else 'ies'} by hash")
        restore_entries(repo, cfg, data, where, progress=progress)


def _rerun(
    repo: gitstore.Repo,
    cfg: config_mod.Config,
    target: _Target,
    where: Path,
    built: envbuild.BuiltEnv,
    *,
    lockfile: str | None,
    log: Log,
) -> tuple[int, dict[str, Any]]:
    """Run the recorded command in the worktree, recorded as a run that reproduces it."""
    rec = target.rec
    git_info = rec.get("git") or {}
    extra_env = _child_env(rec, built)
    recorded_vars = (rec.get("environment") or {}).get("variables") or {}
    variables = {k: v for k, v in extra_env.items() if k in recorded_vars}
    spec = recorder.RunSpec(
        command=target.command,
        name=rec.get("name"),
        reproduces=target.id,
        extra_env=extra_env,
        replay=recorder.Replay(
            root=where,
            tree=gitstore.tree_of(repo, target.snapshot),
            base=git_info.get("base"),
            branch=git_info.get("branch"),
            dirty=bool(git_info.get("dirty")),
            cwd=target.cwd,
            environment=envbuild.describe(built, where, lockfile, variables),
        ),
    )
    log(f"running {' '.join(target.command)} (in {target.cwd})")
    return recorder.run_command(spec, repo=repo, cfg=cfg)


def _judge(
    target: _Target,
    code: int,
    new: Mapping[str, Any],
    tols: Mapping[str, Tolerance],
    *,
    flagged: Sequence[str],
    must_match: bool,
    log: Log,
) -> tuple[bool, list[_verify.MetricCheck], list[_verify.OutputCheck]]:
    """Every recorded metric and output against the re-run's; the overall answer first
    (a ``--tolerance`` flag naming a metric the run never recorded is worth a warning)."""
    rec = target.rec
    recorded = rec.get("metrics") or {}
    for name in flagged:
        if name not in recorded:
            log(f"warning: --tolerance {name}: the run recorded no metric {name!r}")
    metrics = _verify.compare_metrics(recorded, new.get("metrics") or {}, tols)
    outputs = _verify.compare_outputs(rec.get("outputs") or [], new.get("outputs") or [])
    ok = _verify.passed(
        metrics,
        outputs,
        expected_exit=rec.get("exit_code"),
        exit_code=code,
        outputs_must_match=must_match,
    )
    return ok, metrics, outputs


def reproduce(
    repo: gitstore.Repo,
    run: str,
    *,
    verify: bool = False,
    tolerance_flags: Sequence[str] = (),
    keep: bool = False,
    progress: bool = True,
    log: Log = _stderr,
) -> Verdict:
    """Rebuild and re-run ``run`` (an id or unique prefix); see the module docs."""
    t0 = time.monotonic()
    target = _target(repo, run)
    user_cfg = config_mod.load(repo.top)
    flag_tols = _verify.tolerances(tolerance_flags)  # bad flags fail before any work
    timings: dict[str, float] = {}
    with worktree.checkout(repo, target.id, target.snapshot, keep=keep, log=log) as where:
        snap_cfg = config_mod.load(where)
        # the snapshot's config, with the data remote of today's config when it names one
        cfg = snap_cfg.replace(store=user_cfg.store or snap_cfg.store)
        t = time.monotonic()
        _restore_data(repo, cfg, target.rec, where, progress=progress, log=log)
        timings["data"] = time.monotonic() - t
        t = time.monotonic()
        built = envbuild.ensure_env(repo, target.rec, log=log)
        timings["environment"] = time.monotonic() - t
        t = time.monotonic()
        code, new = _rerun(repo, cfg, target, where, built, lockfile=snap_cfg.lockfile, log=log)
        timings["run"] = time.monotonic() - t
        tols = {**_verify.tolerances((), user_cfg.tolerances, snap_cfg.tolerances), **flag_tols}
        must_match = user_cfg.verify_outputs or snap_cfg.verify_outputs
        ok, metrics, outputs = _judge(
            target, code, new, tols, flagged=list(flag_tols), must_match=must_match, log=log
        )
        expected_exit = target.rec.get("exit_code")
        verdict = Verdict(
            run=target.id,
            by=str(new["id"]),
            ok=ok,
            verify=verify,
            expected_exit=expected_exit if isinstance(expected_exit, int) else None,
            exit_code=code,
            metrics=metrics,
            outputs=outputs,
            outputs_must_match=must_match,
            environment=built.as_dict(),
            worktree=str(where) if keep else None,
            timings=timings,
        )
        gitstore.append_notes(
            repo,
            {target.snapshot: verdict.note(times.utc_iso())},
            f"gitops-ml: verify {target.id} by {verdict.by}\n",
        )
    timings["total"] = time.monotonic() - t0
    return verdict
