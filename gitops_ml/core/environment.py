"""The environment of a run: Python, platform, installed distributions, lockfile, safe env vars.

Distribution lists are cached by the interpreter and the modification times of its
``sys.path`` directories (installing or removing a package changes them), so a run does
not walk site-packages every time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path

from gitops_ml.core.atomic import write_atomic

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


LOCKFILES = (
    "uv.lock",
    "requirements.lock",
    "requirements.txt",
    "poetry.lock",
    "environment.yml",
    "environment.yaml",
    "Pipfile.lock",
)

# Names that look like credentials are never recorded, whatever the allow-list says.
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASS|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|(^|_)PAT$|(^|_)DSN$",
    re.I,
)
# Values that carry a credential whatever their variable is called: refused.
SECRET_VALUE = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{16,}|xox[abprs]-[\w-]{10,}|"
    r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|\bsk-[A-Za-z0-9_-]{20,}|\bhf_[A-Za-z0-9]{20,}|"
    r"\bnpm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,}|\bAIza[0-9A-Za-z_-]{30,}|"
    r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
# Parts of a value that are a credential inside something worth keeping: masked.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*(?P<at>@)")
_KEY_VALUE = re.compile(
    r"(?P<head>\b[\w.-]*(pass|pwd|secret|token|key|auth)[\w.-]*\s*[=:]\s*)(?P<value>[^\s&;,]+)",
    re.I,
)
MASK = "***"

# Variables that change what a training run computes; recorded when set.
DEFAULT_ENV_ALLOW = (
    "PYTHONHASHSEED",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "CUBLAS_WORKSPACE_CONFIG",
    "TF_DETERMINISTIC_OPS",
    "LANG",
    "TZ",
)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def mask_value(value: str) -> str | None:
    """``value`` with the credentials inside it masked (a URL's password, ``password=x``),
    or None when the value is a credential itself (a known token format, a private key)."""
    if SECRET_VALUE.search(value):
        return None
    value = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", value)
    return _KEY_VALUE.sub(lambda m: f"{m['head']}{MASK}", value)


def screen_env(
    allow: list[str], environ: dict[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """``(recorded, refused)``: the allow-listed variables that are set, credentials in
    their values masked; and the names of those never recorded (a credential-like name,
    or a value that is a credential)."""
    environ = dict(os.environ) if environ is None else environ
    names = list(DEFAULT_ENV_ALLOW) + [n for n in allow if n not in DEFAULT_ENV_ALLOW]
    recorded: dict[str, str] = {}
    refused: list[str] = []
    for name in names:
        if name not in environ:
            continue
        value = None if is_secret_name(name) else mask_value(environ[name])
        if value is None:
            refused.append(name)
        else:
            recorded[name] = value
    return recorded, refused


def safe_env(allow: list[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment variables that are set, credentials left out or masked."""
    return screen_env(allow, environ)[0]


def _site_dirs() -> list[str]:
    """The ``sys.path`` directories that hold installed distributions."""
    dirs = []
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            dirs.append(entry)
    return dirs


def _scan(dirs: list[str]) -> dict[str, str]:
    """``{name: version}`` from the ``*.dist-info`` / ``*.egg-info`` folder names.

    The folder name carries the normalized name and the version (the same fast path pip
    uses); only an egg-info folder without a version needs its metadata read.
    """
    found: dict[str, str] = {}
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                stem = entry[: -len(".dist-info")]
            elif entry.endswith(".egg-info"):
                stem = entry[: -len(".egg-info")]
            else:
                continue
            name, sep, version = stem.partition("-")
            version = version.split("-py", 1)[0]
            if not sep or not version:
                from importlib.metadata import PathDistribution

                meta = PathDistribution(Path(d) / entry).metadata
                name, version = meta["Name"] or name, meta["Version"] or ""
            found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), version)
    return dict(sorted(found.items()))


class Interpreter:
    """A Python interpreter: where it is, its version and its site-packages folders."""

    __slots__ = ("executable", "implementation", "site_dirs", "version")

    def __init__(
        self, executable: str, version: str, implementation: str, site_dirs: list[str]
    ) -> None:
        self.executable = executable
        self.version = version
        self.implementation = implementation
        self.site_dirs = site_dirs


def current_interpreter() -> Interpreter:
    """The interpreter running gitops-ml."""
    return Interpreter(
        sys.executable,
        "{}.{}.{}".format(*sys.version_info[:3]),
        sys.implementation.name,
        _site_dirs(),
    )


_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?$")
_QUERY = (
    "import json, sys; print(json.dumps([sys.executable, '%d.%d.%d' % sys.version_info[:3], "
    "sys.implementation.name, [p for p in sys.path if p.endswith(('site-packages', "
    "'dist-packages'))]]))"
)


def command_interpreter(
    command: list[str] | None,
    path: str | None,
    cache_dir: Path | None,
    *,
    configured: str | None = None,
    top: Path | None = None,
) -> Interpreter:
    """The Python a run's command runs under, whose environment the run records.

    ``configured`` (``interpreter:`` in gitops-ml.yaml: a path, relative to ``top``, or a name
    looked up on the command's ``PATH``) when given; else the command's first word when it
    is a ``python`` executable; else the first ``python`` (or ``python3``) on the
    command's ``PATH``, which is what a ``sh -c '...'`` pipeline or a script's
    ``#!/usr/bin/env python`` finds. This interpreter when none is found or it is
    gitops-ml's own; another one is asked once and remembered by its path and mtime.
    """
    import shutil

    from gitops_ml.core.errors import UsageError

    here = current_interpreter()
    if configured:
        found = _configured_python(configured, path, top)
        if found is None:
            raise UsageError(f"gitops-ml.yaml: interpreter: {configured} not found")
    elif command and _PYTHON_NAME.match(os.path.basename(command[0])):
        found = shutil.which(command[0], path=path)
    else:
        found = shutil.which("python", path=path) or shutil.which("python3", path=path)
    if found is None:
        return here
    found = os.path.abspath(found)
    if os.path.dirname(found) == os.path.dirname(os.path.abspath(sys.executable)):
        return here
    return _ask(found, cache_dir) or here


def _configured_python(configured: str, path: str | None, top: Path | None) -> str | None:
    import shutil

    if "/" not in configured:
        return shutil.which(configured, path=path)
    full = Path(configured) if os.path.isabs(configured) or top is None else top / configured
    return str(full) if os.access(full, os.X_OK) and full.is_file() else None


def _ask(found: str, cache_dir: Path | None) -> Interpreter | None:
    """Ask the interpreter ``found`` about itself (remembered by its path and mtime)."""
    try:
        mtime = os.stat(found).st_mtime_ns
    except OSError:
        return None
    cache = cache_dir / "interpreters.json" if cache_dir else None
    known: dict[str, Any] = {}
    if cache is not None:
        try:
            known = json.loads(cache.read_text())
        except (OSError, ValueError):
            known = {}
    hit = known.get(found)
    if not (isinstance(hit, list) and len(hit) == 2 and hit[0] == mtime):
        import subprocess

        try:
            out = subprocess.run(
                [found, "-I", "-c", _QUERY], capture_output=True, text=True, timeout=30, check=True
            ).stdout
            hit = [mtime, json.loads(out)]
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        known[found] = hit
        if cache is not None:
            _write_json(cache, known)
    exe, version, impl, dirs = hit[1]
    return Interpreter(str(exe), str(version), str(impl), [str(d) for d in dirs])


def _write_json(path: Path, data: Any) -> None:
    # a derived cache: no fsync, and a read-only .git is fine
    with contextlib.suppress(OSError):
        write_atomic(path, json.dumps(data), durable=False, mkdir=True)


def distributions(
    cache_dir: Path | None = None, interpreter: Interpreter | None = None
) -> dict[str, str]:
    """``{name: version}`` of every distribution installed for an interpreter (default:
    this one).

    Cached by the interpreter and the modification times of its site-packages
    directories: installing or removing a package changes them.
    """
    interp = interpreter or current_interpreter()
    stamp: list[Any] = [interp.executable]
    for d in interp.site_dirs:
        try:
            stamp.append([d, os.stat(d).st_mtime_ns])
        except OSError:
            continue
    cache = cache_dir / "distributions.json" if cache_dir else None
    saved: dict[str, Any] = {}
    if cache is not None:
        try:
            saved = json.loads(cache.read_text())
            hit = saved.get(interp.executable)
            if isinstance(hit, dict) and hit.get("stamp") == stamp:
                return dict(hit["dists"])
        except (OSError, ValueError, KeyError, AttributeError):
            saved = {}
    found = _scan(interp.site_dirs)
    if cache is not None:
        saved = saved if isinstance(saved, dict) else {}
        saved[interp.executable] = {"stamp": stamp, "dists": found}
        _write_json(cache, saved)
    return found


def find_lockfile(top: Path, configured: str | None) -> str | None:
    if configured:
        return configured if (top / configured).exists() else None
    for name in LOCKFILES:
        if (top / name).is_file():
            return name
    return None


def capture(
    top: Path,
    lockfile: str | None,
    cache_dir: Path | None,
    allow: list[str],
    interpreter: Interpreter | None = None,
    *,
    variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``environment`` part of a run record (of ``interpreter``, default this one;
    ``variables`` as screened by :func:`screen_env`, default the allow-listed ones)."""
    interp = interpreter or current_interpreter()
    dists = distributions(cache_dir, interp)
    lock = lockfile_record(top, lockfile)
    # sys and os.uname() say what the platform module would, without its import cost.
    uname = os.uname()
    plat = platform_tag()
    return {
        "python": interp.version,
        "implementation": interp.implementation,
        "platform": plat,
        "os": f"{uname.sysname}-{uname.release}",
        "executable": interp.executable,
        "distributions": dists,
        "lockfile": lock,
        "variables": safe_env(allow) if variables is None else variables,
        "fingerprint": fingerprint(interp.version, plat, lock, dists),
    }


def platform_tag() -> str:
    """``linux-x86_64``: the platform part of a record (and of its fingerprint)."""
    return f"{sys.platform}-{os.uname().machine}"


def lockfile_record(top: Path, configured: str | None) -> dict[str, Any] | None:
    """``{path, hash}`` of the project's lockfile under ``top``, or None."""
    from gitops_ml.core.hashing import hash_bytes

    found = find_lockfile(top, configured)
    if not found:
        return None
    return {"path": found, "hash": hash_bytes((top / found).read_bytes())}


def fingerprint(
    python: str, platform: str, lockfile: dict[str, Any] | None, dists: dict[str, str]
) -> str:
    """The environment's identity: Python, platform and the lockfile hash (else the
    exact distributions). Rebuilt environments are cached under it."""
    from gitops_ml.core.hashing import hash_bytes

    basis = {"python": python, "platform": platform}
    if lockfile:
        basis["lockfile"] = str(lockfile["hash"])
    else:
        basis["distributions"] = json.dumps(dists, sort_keys=True)
    return hash_bytes(json.dumps(basis, sort_keys=True).encode())[:32]


def installed_in(site_dirs: list[str]) -> dict[str, str]:
    """``{name: version}`` of the distributions in these site-packages directories
    (another interpreter's, e.g. a rebuilt environment's)."""
    return _scan(site_dirs)
