"""Reproduce a recorded run and verify its metrics: the service behind ``gitops-ml reproduce``.

Steps: check the run's snapshot out into a worktree under ``.git/gitops-ml/worktrees/``
(the user's work tree is never touched); restore its data by hash (local cache, else the
``store`` remote); rebuild its environment (:mod:`gitops_ml.reproduce.envbuild`); re-run the
recorded command there with the recorded params (in the snapshot), seeds and non-secret
variables, recorded as a new run that ``reproduces`` the original; compare every
recorded metric within its tolerance and every output by hash; append a ``verify`` fact to
the original run's notes. Printing is the command module's business.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from gitops_ml.core import config as config_mod
from gitops_ml.core import environment, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.reproduce import envbuild
from gitops_ml.runs import index, recorder

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

_TOLERANCE = re.compile(r"^(abs|rel):([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"gitops-ml: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tolerances and comparing


@dataclass(frozen=True)
class Tolerance:
    """``abs:X``: ``|got - expected| <= X``; ``rel:Y``: ``|got - expected| <= Y * |expected|``."""

    kind: str  # "abs", "rel" or "exact"
    value: float = 0.0

    def __str__(self) -> str:
        return "exact" if self.kind == "exact" else f"{self.kind}:{self.value:g}"

    def allows(self, expected: float, got: float) -> bool:
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        if self.kind == "exact":
            return got == expected
        bound = self.value if self.kind == "abs" else self.value * abs(expected)
        return abs(got - expected) <= bound


EXACT = Tolerance("exact")


def parse_tolerance(text: str, where: str) -> Tolerance:
    """``abs:X`` or ``rel:Y`` (X, Y non-negative numbers), else a usage error naming ``where``."""
    m = _TOLERANCE.match(str(text).strip())
    if not m:
        raise UsageError(f"{where}: tolerance must be abs:X or rel:Y, not {text!r}")
    return Tolerance(m.group(1), float(m.group(2)))


def tolerances(flags: Sequence[str], *configs: Mapping[str, str]) -> dict[str, Tolerance]:
    """Per-metric tolerances: ``--tolerance METRIC=SPEC`` flags over the configs in order
    (the first config that names a metric wins)."""
    out: dict[str, Tolerance] = {}
    for cfg in reversed(configs):
        for name, spec in cfg.items():
            out[str(name)] = parse_tolerance(spec, f"tolerances: {name}")
    for flag in flags:
        name, sep, spec = flag.rpartition("=")
        if not sep or not name:
            raise UsageError(f"--tolerance {flag!r}: expected METRIC=abs:X or METRIC=rel:Y")
        out[name] = parse_tolerance(spec, f"--tolerance {name}")
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass
class MetricCheck:
    name: str
    expected: Any
    got: Any
    delta: float | None
    tolerance: str
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def compare_metrics(
    expected: Mapping[str, Any], got: Mapping[str, Any], tols: Mapping[str, Tolerance]
) -> list[MetricCheck]:
    """One check per recorded metric; a metric the re-run did not produce fails."""
    checks = []
    for name, want in expected.items():
        tol = tols.get(name, EXACT)
        if name not in got:
            checks.append(MetricCheck(name, want, None, None, str(tol), False))
            continue
        have = got[name]
        a, b = _number(want), _number(have)
        if a is not None and b is not None:
            delta = b - a
            checks.append(
                MetricCheck(
                    name,
                    want,
                    have,
                    None if math.isnan(delta) else delta,
                    str(tol),
                    tol.allows(a, b),
                )
            )
        else:
            same = want == have and isinstance(want, bool) == isinstance(have, bool)
            checks.append(MetricCheck(name, want, have, None, "exact", same))
    return checks


@dataclass
class OutputCheck:
    path: str
    expected: str
    got: str | None
    identical: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def compare_outputs(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]]
) -> list[OutputCheck]:
    """Each recorded output against the re-run's, by content hash."""
    new = {str(o.get("path")): str(o.get("hash")) for o in got}
    out = []
    for item in expected:
        path, digest = str(item.get("path")), str(item.get("hash"))
        have = new.get(path)
        out.append(OutputCheck(path, digest, have, have == digest))
    return out


# ---------------------------------------------------------------- the verdict


@dataclass
class Verdict:
    """What a reproduce found; ``ok`` is the overall answer."""

    run: str
    by: str
    ok: bool
    verify: bool
    expected_exit: int | None
    exit_code: int
    metrics: list[MetricCheck]
    outputs: list[OutputCheck]
    outputs_must_match: bool
    environment: dict[str, Any]
    worktree: str | None
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "by": self.by,
            "ok": self.ok,
            "verify": self.verify,
            "exit_code": {"expected": self.expected_exit, "got": self.exit_code},
            "metrics": [c.as_dict() for c in self.metrics],
            "outputs": [o.as_dict() for o in self.outputs],
            "outputs_must_match": self.outputs_must_match,
            "environment": self.environment,
            "worktree": self.worktree,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def note(self, at: str) -> str:
        """The ``verify`` fact appended to the original run's notes."""
        fact = {
            "type": "verify",
            "ok": self.ok,
            "by": self.by,
            "at": at,
            "metrics": [c.as_dict() for c in self.metrics],
            "outputs": [{"path": o.path, "identical": o.identical} for o in self.outputs],
        }
        return json.dumps(fact, sort_keys=True, separators=(",", ":"), default=str)


# ---------------------------------------------------------------- reproducing


def _safe_cwd(value: Any) -> str:
    rel = str(value or ".")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts:
        raise UsageError(f"the run's recorded cwd {rel!r} is outside the repository")
    return rel


def _child_env(rec: Mapping[str, Any], built: envbuild.BuiltEnv) -> dict[str, str]:
    """Recorded non-secret variables and seeds, and the rebuilt environment first on PATH."""
    env = rec.get("environment") or {}
    variables = {
        str(k): str(v)
        for k, v in (env.get("variables") or {}).items()
        if not environment.is_secret_name(str(k))
    }
    extra = dict(variables)
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


def _store_config(snap: config_mod.Config, user: config_mod.Config) -> config_mod.Config:
    """The snapshot's config, with the data remote of today's config when it names one."""
    return snap.replace(store=user.store or snap.store)


def _now_iso() -> str:
    ts = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


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
    from gitops_ml.data.store import restore_entries

    t0 = time.monotonic()
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
    user_cfg = config_mod.load(repo.top)
    flags_tols = tolerances(tolerance_flags)  # bad flags fail before any work
    cwd = _safe_cwd(rec.get("cwd"))

    where = repo.state_dir / "worktrees" / f"reproduce-{run_id}-{uuid.uuid4().hex[:8]}"
    where.parent.mkdir(parents=True, exist_ok=True)
    owner = recorder._owner_file(where)
    owner.write_text(recorder._owner())  # a killed reproduce's worktree is removed later
    timings: dict[str, float] = {}
    try:
        log(f"checking out the code of run {run_id} ({snapshot[:12]}) into {where}")
        gitstore.add_worktree(repo, snapshot, where)
        snap_cfg = config_mod.load(where)
        cfg = _store_config(snap_cfg, user_cfg)

        t = time.monotonic()
        data = list(rec.get("data") or [])
        if data:
            log(f"restoring {len(data)} data entr{'y' if len(data) == 1 else 'ies'} by hash")
            restore_entries(repo, cfg, data, where, progress=progress)
        timings["data"] = time.monotonic() - t

        t = time.monotonic()
        built = envbuild.ensure_env(repo, rec, log=log)
        timings["environment"] = time.monotonic() - t

        extra_env = _child_env(rec, built)
        variables = {
            k: v
            for k, v in extra_env.items()
            if k in ((rec.get("environment") or {}).get("variables") or {})
        }
        spec = recorder.RunSpec(
            command=[str(c) for c in command],
            name=rec.get("name"),
            reproduces=run_id,
            extra_env=extra_env,
            replay=recorder.Replay(
                root=where,
                tree=gitstore.tree_of(repo, snapshot),
                base=(rec.get("git") or {}).get("base"),
                branch=(rec.get("git") or {}).get("branch"),
                dirty=bool((rec.get("git") or {}).get("dirty")),
                cwd=cwd,
                environment=envbuild.describe(built, where, snap_cfg.lockfile, variables),
            ),
        )
        t = time.monotonic()
        log(f"running {' '.join(spec.command or [])} (in {cwd})")
        code, new = recorder.run_command(spec, repo=repo, cfg=cfg)
        timings["run"] = time.monotonic() - t

        tols = tolerances(tolerance_flags, user_cfg.tolerances, snap_cfg.tolerances)
        for name in flags_tols:
            if name not in (rec.get("metrics") or {}):
                log(f"warning: --tolerance {name}: the run recorded no metric {name!r}")
        metrics = compare_metrics(rec.get("metrics") or {}, new.get("metrics") or {}, tols)
        outputs = compare_outputs(rec.get("outputs") or [], new.get("outputs") or [])
        must_match = user_cfg.verify_outputs or snap_cfg.verify_outputs
        expected_exit = rec.get("exit_code")
        ok = (
            all(c.ok for c in metrics)
            and (expected_exit is None or code == expected_exit)
            and (not must_match or all(o.identical for o in outputs))
        )
        verdict = Verdict(
            run=run_id,
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
            {str((rec.get("git") or {})["snapshot"]): verdict.note(_now_iso())},
            f"gitops-ml: verify {run_id} by {verdict.by}\n",
        )
    finally:
        if keep and where.exists():
            owner.unlink(missing_ok=True)
            log(f"kept the worktree {where}")
        else:
            gitstore.remove_worktree(repo, where)
            owner.unlink(missing_ok=True)
    timings["total"] = time.monotonic() - t0
    return verdict
