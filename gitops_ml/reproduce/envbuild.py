"""Rebuilding a run's recorded environment as a virtual environment, cached by fingerprint.

What is installed, in order of preference:

- the run's lockfile, read from its code snapshot and checked against the recorded hash:
  ``uv.lock`` (exported with ``uv export --frozen``, the project itself left out) or a
  pip requirements file (``requirements*.txt``, ``*.lock``, with the files it includes);
- otherwise the exact recorded distributions, ``name==version`` with ``--no-deps``
  (gitops-ml itself, pip, setuptools and wheel left out).

uv is used when it is on PATH or installed as the ``uv`` Python package, else
``python -m venv`` and pip. The recorded Python version is used when an interpreter of it
is on this machine (never downloaded); otherwise the current one, with a warning.

Environments live in ``$XDG_CACHE_HOME/gitops-ml/envs/<fingerprint>`` (``~/.cache`` by
default). Each is built in a temporary directory beside it and renamed into place when
complete, so a half-built environment is never used and a second reproduce reuses it.

The re-run command must be able to ``import gitops_ml`` (its ``start_run`` joins the
reproducing run). The environment gets a ``gitops-ml-shim`` directory, added to the end
of ``sys.path`` by a ``.pth`` file, holding a link to the running gitops-ml package (and to
``blake3``, its one compiled dependency the in-run API uses, when the Python minor versions
match). It is refreshed on every use, so it follows the installed gitops-ml; packages of
the environment itself still come first. Neither the parent directory of gitops-ml (a
source checkout's tests and scripts, or the whole host site-packages) nor its other
dependencies leak in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gitops_ml.core import environment, gitstore
from gitops_ml.core.errors import ENVIRONMENT, EnvironmentProblem, GitopsError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

MARKER = "gitops-ml-env.json"
SHIM = "gitops-ml-shim"
ENV_NO_UV = "GITOPS_ML_NO_UV"  # set to 1: use venv + pip even when uv is there
# Never installed from a distribution list: tools of the host, or gitops-ml itself (linked in).
SKIP = frozenset({"gitops-ml", "pip", "setuptools", "wheel"})
_FINGERPRINT = re.compile(r"^[0-9a-f]{8,64}$")
_NETWORK = re.compile(
    r"connect|network|dns|resolve host|timed? ?out|unreachable|temporary failure|"
    r"max retries|could not fetch|failed to fetch|error sending request|ssl",
    re.I,
)
_URL = re.compile(r"(?:Failed to fetch:|Could not fetch URL)\s+(\S+)")
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)")

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


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/gitops-ml/envs`` (``~/.cache/gitops-ml/envs`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops-ml" / "envs"


def find_uv() -> str | None:
    """The uv executable: on PATH, or from the ``uv`` Python package; None without it."""
    if os.environ.get(ENV_NO_UV, "") not in ("", "0"):
        return None
    exe = shutil.which("uv")
    if exe:
        return exe
    try:
        import uv  # type: ignore[import-not-found, unused-ignore]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return None


def _tool_env() -> dict[str, str]:
    """The environment for uv/pip: nothing pointing them at another interpreter."""
    env = dict(os.environ)
    # ``python -m uv`` sets the first to the host Python: it would win over ``--python``.
    for name in ("UV_INTERNAL__PARENT_INTERPRETER", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH"):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _version_of(python: str) -> tuple[str, str] | None:
    """``(X.Y.Z, implementation)`` of an interpreter, or None if it does not run."""
    try:
        proc = subprocess.run(
            [
                python,
                "-c",
                "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.implementation.name)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=_tool_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = proc.stdout.split()
    return (parts[0], parts[1]) if proc.returncode == 0 and len(parts) == 2 else None


def _current() -> tuple[str, str, str]:
    return sys.executable, "{}.{}.{}".format(*sys.version_info[:3]), sys.implementation.name


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def find_python(wanted: str | None, uv: str | None) -> tuple[str, str, str | None]:
    """An interpreter for the recorded Python version: ``(path, version, warning)``.

    The exact version first, then the same minor version; never downloaded. Without
    either, the current interpreter and a warning naming the mismatch.
    """
    exe, version, _ = _current()
    if not wanted or wanted == version:
        return exe, version, None
    candidates: list[str] = []
    for request in (wanted, _minor(wanted)):
        if uv:
            proc = subprocess.run(
                [uv, "python", "find", "--no-python-downloads", request],
                capture_output=True,
                text=True,
                env=_tool_env(),
            )
            if proc.returncode == 0 and proc.stdout.strip():
                candidates.append(proc.stdout.strip().splitlines()[-1])
        found = shutil.which(f"python{request}")
        if found:
            candidates.append(found)
    if _minor(version) == _minor(wanted):
        candidates.append(exe)
    for candidate in candidates:
        got = _version_of(candidate)
        if got and _minor(got[0]) == _minor(wanted):
            note = None if got[0] == wanted else f"recorded Python {wanted}, using {got[0]}"
            return candidate, got[0], note
    return (
        exe,
        version,
        f"recorded Python {wanted} is not available on this machine; using {version} "
        "(results may differ; 'uv python install' can add it)",
    )


# ---------------------------------------------------------------- what to install


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


def _uv_export(uv: str, repo: gitstore.Repo, commit: str, rel: str, work: Path) -> Path:
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
    proc = subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--no-emit-workspace",
            "--no-header",
            "--format",
            "requirements-txt",
            "--output-file",
            str(out),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=_tool_env(),
    )
    if proc.returncode != 0:
        raise GitopsError(f"{rel}: uv export failed: {_last_error(proc.stderr)}", 2)
    return out


def _uv_lock_pins(data: bytes) -> list[str]:
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


@dataclass
class _Plan:
    requirements: Path | None  # a file for ``install -r``; None: nothing to install
    no_deps: bool
    source: str
    warnings: list[str]


def plan_install(repo: gitstore.Repo, rec: Mapping[str, Any], work: Path, uv: str | None) -> _Plan:
    """What to install for the record's environment, written under ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    env = rec.get("environment") or {}
    lock = env.get("lockfile")
    commit = (rec.get("git") or {}).get("snapshot")
    warnings: list[str] = []
    if lock and commit:
        rel = str(lock.get("path"))
        data = gitstore.show_file(repo, commit, rel)
        if data is None:
            warnings.append(
                f"lockfile {rel} is not in the run's snapshot; installing the recorded distributions"
            )
        else:
            from gitops_ml.core.hashing import hash_bytes

            if hash_bytes(data) != lock.get("hash"):
                raise GitopsError(
                    f"lockfile {rel} in the snapshot of run {rec.get('id')} does not match the "
                    f"recorded hash {lock.get('hash')}: the record is inconsistent",
                    ENVIRONMENT,
                )
            name = PurePosixPath(rel).name
            if name == "uv.lock":
                if uv:
                    return _Plan(_uv_export(uv, repo, commit, rel, work), False, rel, warnings)
                pinned = work / "uv-lock-pins.txt"
                pinned.write_text("\n".join(_uv_lock_pins(data)) + "\n")
                return _Plan(pinned, True, rel, warnings)
            if name.endswith((".txt", ".in")) or name == "requirements.lock":
                _materialize(repo, commit, rel, work / "lock", set())
                return _Plan(work / "lock" / rel, False, rel, warnings)
            warnings.append(
                f"rebuilding from {name} is not supported; installing the recorded distributions"
            )
    dists = env.get("distributions") or {}
    pins = [f"{n}=={v}" for n, v in sorted(dists.items()) if n not in SKIP and v]
    if not pins:
        return _Plan(None, True, "distributions", warnings)
    path = work / "distributions.txt"
    path.write_text("\n".join(pins) + "\n")
    return _Plan(path, True, "distributions", warnings)


# ---------------------------------------------------------------- building


_LEAD = re.compile(r"^(?:[×╰─▶│ ]+|error:\s*|caused by:\s*|cause:\s*)+", re.I)


def _last_error(stderr: str) -> str:
    """The most specific line of a tool's error output (its deepest cause)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        low = ln.lower()
        if low.startswith(("error", "caused by", "cause:", "×", "╰─▶")) or "error" in low:
            return _LEAD.sub("", ln).strip() or ln
    return lines[-1] if lines else "no output"


def _run_tool(args: list[str], log_file: Path, what: str) -> None:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, env=_tool_env())
    except OSError as exc:
        raise EnvironmentProblem(f"{what}: cannot start {args[0]}: {exc.strerror}") from None
    with log_file.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        line = _last_error(proc.stderr)
        if _NETWORK.search(proc.stderr):
            url = _URL.search(proc.stderr)
            if url and url.group(1) not in line:
                line += f" (fetching {url.group(1).rstrip(':')})"
            raise EnvironmentProblem(f"network error while {what}: {line} (full log: {log_file})")
        raise EnvironmentProblem(f"{what} failed: {line} (full log: {log_file})")


def _venv_python(env_dir: Path) -> Path:
    win = env_dir / "Scripts" / "python.exe"
    return win if win.exists() else env_dir / "bin" / "python"


def _site_packages(env_dir: Path) -> list[Path]:
    found = sorted(env_dir.glob("lib/python*/site-packages")) + sorted(
        env_dir.glob("Lib/site-packages")
    )
    return [p for p in found if p.is_dir()]


def _rewrite_paths(env_dir: Path, old: str, new: str) -> None:
    """Point scripts and activate files of a renamed environment at its new place."""
    old_b, new_b = old.encode(), new.encode()
    for folder in (env_dir / "bin", env_dir / "Scripts", env_dir):
        if not folder.is_dir():
            continue
        for item in folder.iterdir():
            if item.is_symlink() or not item.is_file() or item.stat().st_size > 1 << 20:
                continue
            data = item.read_bytes()
            if old_b in data:
                item.write_bytes(data.replace(old_b, new_b))


def _link(target: Path, link: Path) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=target.is_dir())
    os.replace(tmp, link)


def refresh_shim(env_dir: Path, python_version: str) -> None:
    """Make the running gitops-ml importable in the environment (see the module docs)."""
    import importlib.util

    import gitops_ml

    shim = env_dir / SHIM
    shim.mkdir(exist_ok=True)
    _link(Path(gitops_ml.__file__).resolve().parent, shim / "gitops_ml")
    host = "{}.{}".format(*sys.version_info[:2])
    spec = importlib.util.find_spec("blake3")
    if _minor(python_version) == host and spec is not None and spec.origin:
        origin = Path(spec.origin).resolve()
        if origin.name.startswith("__init__."):  # a package: link its folder
            _link(origin.parent, shim / "blake3")
        else:  # a single extension module
            _link(origin, shim / origin.name)
    for site in _site_packages(env_dir):
        pth = site / "_gitops_ml_shim.pth"
        text = f"{shim}\n"
        if not pth.is_file() or pth.read_text() != text:
            tmp = pth.with_name(f".{pth.name}.{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, pth)


def _env_key(rec: Mapping[str, Any]) -> str:
    env = rec.get("environment") or {}
    fp = env.get("fingerprint")
    if isinstance(fp, str) and _FINGERPRINT.match(fp):
        return fp
    return environment.fingerprint(
        str(env.get("python")),
        str(env.get("platform")),
        env.get("lockfile"),
        dict(env.get("distributions") or {}),
    )


def _reuse(env_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not _venv_python(env_dir).exists():
        return None
    return marker


def _discard(path: Path) -> None:
    trash = path.with_name(f".trash-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def ensure_env(repo: gitstore.Repo, rec: Mapping[str, Any], *, log: Log = _stderr) -> BuiltEnv:
    """The rebuilt environment of a run: from the cache, else built now (see module docs)."""
    started = time.monotonic()
    env = rec.get("environment") or {}
    key = _env_key(rec)
    root = cache_root()
    final = root / key
    warnings: list[str] = []
    recorded_platform = env.get("platform")
    if recorded_platform and recorded_platform != environment.platform_tag():
        warnings.append(
            f"run recorded on {recorded_platform}, rebuilding on {environment.platform_tag()}"
        )
    marker = _reuse(final)
    if marker is not None:
        refresh_shim(final, str(marker.get("python_version")))
        warnings += list(marker.get("warnings") or [])
        seconds = time.monotonic() - started
        log(f"reusing environment {final} ({seconds:.2f} s)")
        for w in warnings:
            log(f"warning: {w}")
        return BuiltEnv(
            path=final,
            python=_venv_python(final),
            python_version=str(marker.get("python_version")),
            implementation=str(marker.get("implementation")),
            reused=True,
            seconds=seconds,
            method=str(marker.get("method")),
            source=str(marker.get("source")),
            warnings=warnings,
        )
    uv = find_uv()
    method = "uv" if uv else "venv+pip"
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".build-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    log_file = root / f"{key}.log"
    log_file.write_text("")
    try:
        interpreter, version, mismatch = find_python(env.get("python"), uv)
        if mismatch:
            warnings.append(mismatch)
        plan = plan_install(repo, rec, tmp / ".plan", uv)
        warnings += plan.warnings
        for w in warnings:
            log(f"warning: {w}")
        log(f"building environment {key} with {method} from {plan.source} (Python {version})")
        venv = tmp / "env"
        if uv:
            _run_tool(
                [
                    uv,
                    "venv",
                    "--quiet",
                    "--no-python-downloads",
                    "--python",
                    interpreter,
                    str(venv),
                ],
                log_file,
                "creating the environment",
            )
        else:
            _run_tool([interpreter, "-m", "venv", str(venv)], log_file, "creating the environment")
        python = _venv_python(venv)
        if plan.requirements is not None:
            args = (
                [uv, "pip", "install", "--python", str(python)]
                if uv
                else [str(python), "-m", "pip", "install", "--quiet"]
            )
            args += ["--no-deps"] if plan.no_deps else []
            _run_tool(
                [*args, "-r", str(plan.requirements)], log_file, "installing the recorded packages"
            )
        got = _version_of(str(python)) or (version, sys.implementation.name)
        marker = {
            "fingerprint": key,
            "python_version": got[0],
            "implementation": got[1],
            "method": method,
            "source": plan.source,
            "warnings": warnings,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.monotonic() - started, 3),
            "run": rec.get("id"),
        }
        shutil.rmtree(tmp / ".plan", ignore_errors=True)
        _rewrite_paths(venv, str(venv), str(final))
        (venv / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        if final.exists() and _reuse(final) is None:
            _discard(final)  # a broken or half-deleted one
        try:
            os.rename(venv, final)
        except OSError:
            if _reuse(final) is None:
                raise
            # another reproduce finished the same environment first: use that one
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    refresh_shim(final, got[0])
    seconds = time.monotonic() - started
    log(f"built environment {final} in {seconds:.1f} s")
    return BuiltEnv(
        path=final,
        python=_venv_python(final),
        python_version=got[0],
        implementation=got[1],
        reused=False,
        seconds=seconds,
        method=method,
        source=plan.source,
        warnings=warnings,
    )


def describe(
    built: BuiltEnv, root: Path, lockfile: str | None, variables: dict[str, str]
) -> dict[str, Any]:
    """The ``environment`` record of a run made in ``built`` (its checkout at ``root``)."""
    dists = environment.installed_in([str(p) for p in _site_packages(built.path)])
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
