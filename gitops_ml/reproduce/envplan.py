"""What to install for a run's environment, in order of preference:

- the run's lockfile, read from its code snapshot and checked against the recorded hash:
  ``uv.lock`` (exported with ``uv export --frozen``, the project itself left out) or a
  pip requirements file (``requirements*.txt``, ``*.in``, ``requirements.lock``, with the
  files it includes);
- otherwise the exact recorded distributions, ``name==version`` with ``--no-deps``
  (gitops-ml itself, pip, setuptools and wheel left out).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gitops_ml.core import gitstore, lockfiles
from gitops_ml.core.errors import ENVIRONMENT, USAGE, EnvironmentProblem, GitopsError
from gitops_ml.core.hashing import hash_bytes
from gitops_ml.reproduce import tools

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

# Never installed from a distribution list: tools of the host, or gitops-ml itself (linked in).
SKIP = frozenset({"gitops-ml", "pip", "setuptools", "wheel"})
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)")


@dataclass
class Plan:
    """An install: a requirements file (None: nothing to install) and how to read it."""

    requirements: Path | None
    no_deps: bool
    source: str  # the lockfile path, or "distributions"
    warnings: list[str]
    root: Path  # the folder holding every file the install reads
    pins: dict[str, str] = field(default_factory=dict)  # exact versions the run needs

    def digest(self) -> str:
        """What this plan installs: every file under ``root`` (the requirements file and
        the files it includes), which one is read, and whether dependencies are resolved."""
        parts = [b"no-deps" if self.no_deps else b"deps"]
        req = self.requirements
        parts.append(str(req.relative_to(self.root)).encode() if req else b"-")
        if req is not None:
            for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
                parts += [str(path.relative_to(self.root)).encode(), path.read_bytes()]
        return hash_bytes(b"\0".join(parts))[:32]


def _materialize(repo: gitstore.Repo, commit: str, rel: str, dest: Path, seen: set[str]) -> bool:
    """Write ``rel`` from the snapshot under ``dest``, with the files it includes (-r/-c)."""
    if rel in seen:
        return True
    seen.add(rel)
    data = gitstore.show_file(repo, commit, rel)
    if data is None:
        return False
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    for line in data.decode(errors="replace").splitlines():
        m = _INCLUDE.match(line)
        if not m or "://" in m.group(1):
            continue
        inc = os.path.normpath(str(PurePosixPath(rel).parent / m.group(1)))
        if not inc.startswith(("..", "/")):
            _materialize(repo, commit, PurePosixPath(inc).as_posix(), dest, seen)
    return True


def uv_export(uv: str, repo: gitstore.Repo, commit: str, rel: str, work: Path) -> Path:
    """Requirements with hashes from a snapshot's ``uv.lock`` (and its pyproject.toml)."""
    folder = PurePosixPath(rel).parent
    project = work / "project"
    for name in ("pyproject.toml", PurePosixPath(rel).name):
        data = gitstore.show_file(repo, commit, str(folder / name) if str(folder) != "." else name)
        if data is None:
            raise GitopsError(
                f"{rel}: the run's snapshot has no {folder / name}; cannot export the lock", 2
            )
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes(data)
    out = work / "uv-export.txt"
    args = ["export", "--frozen", "--no-emit-workspace", "--no-header"]
    args += ["--format", "requirements-txt", "--output-file", str(out)]
    proc = subprocess.run(
        [uv, *args], cwd=project, capture_output=True, text=True, env=tools.tool_env()
    )
    if proc.returncode != 0:
        raise GitopsError(f"{rel}: uv export failed: {tools.last_error(proc.stderr)}", USAGE)
    return out


def uv_lock_pins(data: bytes) -> list[str]:
    """``name==version`` of the registry packages in a uv.lock (when uv is not there)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        raise EnvironmentProblem(
            "rebuilding from uv.lock needs uv (or Python 3.11+): install uv"
        ) from None
    lock = tomllib.loads(data.decode())
    return [
        f"{p['name']}=={p['version']}"
        for p in lock.get("package", [])
        if "registry" in (p.get("source") or {}) and "version" in p
    ]


def _from_lockfile(
    repo: gitstore.Repo, rec: Mapping[str, Any], work: Path, uv: str | None, warnings: list[str]
) -> Plan | None:
    """The plan of the run's lockfile, or None (a warning says why) to use distributions."""
    found = _read_lockfile(repo, rec, warnings)
    if found is None:
        return None
    commit, rel, data = found
    name = PurePosixPath(rel).name
    if name == "uv.lock":
        return _from_uv_lock(repo, commit, rel, data, work=work, uv=uv, warnings=warnings)
    if lockfiles.is_requirements(rel):
        return _from_requirements(repo, commit, rel, work, warnings)
    warnings.append(
        f"rebuilding from {name} is not supported; installing the recorded distributions"
    )
    return None


def _read_lockfile(
    repo: gitstore.Repo, rec: Mapping[str, Any], warnings: list[str]
) -> tuple[str, str, bytes] | None:
    """``(snapshot, path, bytes)`` of the run's recorded lockfile, checked against its hash;
    None (a warning says why when it is missing) when there is none to read."""
    lock = (rec.get("environment") or {}).get("lockfile")
    commit = (rec.get("git") or {}).get("snapshot")
    if not lock or not commit:
        return None
    rel = str(lock.get("path"))
    data = gitstore.show_file(repo, commit, rel)
    if data is None:
        warnings.append(
            f"lockfile {rel} is not in the run's snapshot; installing the recorded distributions"
        )
        return None
    if hash_bytes(data) != lock.get("hash"):
        raise GitopsError(
            f"lockfile {rel} in the snapshot of run {rec.get('id')} does not match the "
            f"recorded hash {lock.get('hash')}: the record is inconsistent",
            ENVIRONMENT,
        )
    return commit, rel, data


def _from_uv_lock(
    repo: gitstore.Repo,
    commit: str,
    rel: str,
    data: bytes,
    *,
    work: Path,
    uv: str | None,
    warnings: list[str],
) -> Plan:
    """uv's export of the lock (hashes, dependencies resolved), or without uv its pins."""
    if uv:
        return Plan(uv_export(uv, repo, commit, rel, work), False, rel, warnings, work)
    pinned = work / "uv-lock-pins.txt"
    pinned.write_text("\n".join(uv_lock_pins(data)) + "\n")
    return Plan(pinned, True, rel, warnings, work)


def _from_requirements(
    repo: gitstore.Repo, commit: str, rel: str, work: Path, warnings: list[str]
) -> Plan | None:
    """The requirements file with the files it includes; None (a warning) when one is loose."""
    loose = lockfiles.unpinned(lambda path: gitstore.show_file(repo, commit, path), rel)
    if loose:
        warnings.append(lockfiles.unpinned_warning(rel, loose, reproduce=True))
        return None
    _materialize(repo, commit, rel, work / "lock", set())
    return Plan(work / "lock" / rel, False, rel, warnings, work / "lock")


def plan_install(repo: gitstore.Repo, rec: Mapping[str, Any], work: Path, uv: str | None) -> Plan:
    """What to install for the record's environment, written under ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    plan = _from_lockfile(repo, rec, work, uv, warnings)
    if plan is not None:
        return plan
    dists = (rec.get("environment") or {}).get("distributions") or {}
    pins = _pins(dists, warnings)
    if not pins:
        return Plan(None, True, "distributions", warnings, work)
    path = work / "distributions.txt"
    path.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
    return Plan(path, True, "distributions", warnings, work, pins)


def _pins(dists: Any, warnings: list[str]) -> dict[str, str]:
    """The exact ``{name: version}`` to install from a recorded distribution list; a name
    or version that is not one (a newline, an option) is left out with a warning."""
    pins: dict[str, str] = {}
    bad: list[str] = []
    for name, version in sorted(dict(dists).items()) if isinstance(dists, dict) else []:
        if name in SKIP or not version:
            continue
        if _NAME.match(str(name)) and _VERSION.match(str(version)):
            pins[str(name)] = str(version)
        else:
            bad.append(repr(f"{name}=={version}")[:60])
    if bad:
        warnings.append(f"left out distributions that are not name==version: {', '.join(bad)}")
    return pins
