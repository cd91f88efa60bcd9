"""Rebuilding a run's recorded environment as a virtual environment, cached.

What is installed comes from :mod:`.envplan` (the lockfile, else the recorded
distributions); the tools from :mod:`.tools` (uv, else venv + pip; the recorded Python
version when it is on this machine, never downloaded); the cache is :mod:`.envcache`; and
:mod:`.shim` makes the running gitops-ml importable inside.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitops_ml.core import environment, gitstore
from gitops_ml.core.times import utc_iso
from gitops_ml.reproduce import envcache, envplan, shim, tools, venvs

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"gitops-ml: {message}", file=sys.stderr, flush=True)


@dataclass
class BuiltEnv:
    """A ready environment: where it is and how it came to be."""

    path: Path
    python: Path  # the environment's interpreter
    python_version: str
    implementation: str
    reused: bool
    seconds: float  # time to build, or to find and refresh it
    method: str  # "uv" or "venv+pip"
    source: str  # the lockfile path, or "distributions"
    warnings: list[str] = field(default_factory=list)

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "python": self.python_version,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
            "method": self.method,
            "source": self.source,
            "warnings": self.warnings,
        }


@dataclass
class _Request:
    """What is about to be installed, and with what: decided before the cache is asked."""

    uv: str | None
    interpreter: str
    version: str
    plan: envplan.Plan
    key: str
    warnings: list[str]

    @property
    def method(self) -> str:
        return "uv" if self.uv else "venv+pip"


def _from_marker(final: Path, marker: Mapping[str, Any], req: _Request, started: float) -> BuiltEnv:
    shim.refresh_shim(final, str(marker.get("python_version")))
    return BuiltEnv(
        path=final,
        python=venvs.venv_python(final),
        python_version=str(marker.get("python_version")),
        implementation=str(marker.get("implementation")),
        reused=True,
        seconds=time.monotonic() - started,
        method=str(marker.get("method")),
        source=str(marker.get("source")),
        warnings=req.warnings,
    )


def _make_venv(uv: str | None, interpreter: str, venv: Path, log_file: Path) -> None:
    what = "creating the environment"
    if uv:
        args = [uv, "venv", "--quiet", "--no-python-downloads", "--python", interpreter]
        tools.run_tool([*args, str(venv)], log_file, what)
    else:
        tools.run_tool([interpreter, "-m", "venv", str(venv)], log_file, what)


def _install(uv: str | None, python: Path, plan: envplan.Plan, log_file: Path) -> None:
    if plan.requirements is None:
        return
    args = (
        [uv, "pip", "install", "--python", str(python)]
        if uv
        else [str(python), "-m", "pip", "install", "--quiet"]
    )
    args += ["--no-deps"] if plan.no_deps else []
    tools.run_tool(
        [*args, "-r", str(plan.requirements)], log_file, "installing the recorded packages"
    )


def _build(rec: Mapping[str, Any], req: _Request, *, started: float, log: Log) -> BuiltEnv:
    root = envcache.cache_root()
    final = root / req.key
    tmp = root / f".build-{req.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    log_file = root / f"{req.key}.log"
    log_file.write_text("")
    try:
        log(
            f"building environment {req.key} with {req.method} from {req.plan.source} "
            f"(Python {req.version})"
        )
        venv = tmp / "env"
        _make_venv(req.uv, req.interpreter, venv, log_file)
        python = venvs.venv_python(venv)
        _install(req.uv, python, req.plan, log_file)
        got = tools.version_of(str(python)) or (req.version, sys.implementation.name)
        marker = {
            "key": req.key,
            "plan": req.plan.digest(),
            "python_version": got[0],
            "implementation": got[1],
            "method": req.method,
            "source": req.plan.source,
            "built": utc_iso(),
            "seconds": round(time.monotonic() - started, 3),
            "run": rec.get("id"),
        }
        envcache.publish(venv, final, marker, req.plan.pins)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shim.refresh_shim(final, got[0])
    seconds = time.monotonic() - started
    log(f"built environment {final} in {seconds:.1f} s")
    return BuiltEnv(
        path=final,
        python=venvs.venv_python(final),
        python_version=got[0],
        implementation=got[1],
        reused=False,
        seconds=seconds,
        method=req.method,
        source=req.plan.source,
        warnings=req.warnings,
    )


def _request(repo: gitstore.Repo, rec: Mapping[str, Any], work: Path) -> _Request:
    """The tools, the interpreter and the plan for a run, and the cache key they make."""
    env = rec.get("environment") or {}
    warnings: list[str] = []
    recorded_platform = env.get("platform")
    if recorded_platform and recorded_platform != environment.platform_tag():
        warnings.append(
            f"run recorded on {recorded_platform}, rebuilding on {environment.platform_tag()}"
        )
    uv = tools.find_uv()
    interpreter, version, mismatch = tools.find_python(env.get("python"), uv)
    if mismatch:
        warnings.append(mismatch)
    plan = envplan.plan_install(repo, rec, work, uv)
    warnings += plan.warnings
    key = envcache.install_key(interpreter, version, plan.digest())
    return _Request(uv, interpreter, version, plan, key, warnings)


def ensure_env(repo: gitstore.Repo, rec: Mapping[str, Any], *, log: Log = _stderr) -> BuiltEnv:
    """The rebuilt environment of a run: from the cache when what is installed there is
    what the run needs, else built now (see :mod:`.envcache`: nothing a record claims
    selects an environment)."""
    started = time.monotonic()
    root = envcache.cache_root()
    root.mkdir(parents=True, exist_ok=True)
    work = root / f".plan-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        req = _request(repo, rec, work)
        for w in req.warnings:
            log(f"warning: {w}")
        final = root / req.key
        marker, why = envcache.check(final, req.key, req.plan.pins)
        if marker is not None:
            built = _from_marker(final, marker, req, started)
            log(f"reusing environment {final} ({built.seconds:.2f} s)")
            return built
        if why:
            log(f"warning: cached environment {final} is not reused: {why}; rebuilding")
            envcache.discard(final)
        return _build(rec, req, started=started, log=log)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def describe(
    built: BuiltEnv, root: Path, lockfile: str | None, variables: dict[str, str]
) -> dict[str, Any]:
    """The ``environment`` record of a run made in ``built`` (its checkout at ``root``)."""
    dists = venvs.installed(built.path)
    lock = environment.lockfile_record(root, lockfile)
    plat = environment.platform_tag()
    uname = os.uname()
    return {
        "python": built.python_version,
        "implementation": built.implementation,
        "platform": plat,
        "os": f"{uname.sysname}-{uname.release}",
        "executable": str(built.python),
        "distributions": dists,
        "lockfile": lock,
        "variables": variables,
        "fingerprint": environment.fingerprint(built.python_version, plat, lock, dists),
        "rebuilt": built.as_dict(),
    }
