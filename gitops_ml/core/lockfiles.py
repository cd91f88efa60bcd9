"""Whether a lockfile really locks: a pip requirements file that does not pin every
requirement (``celery``, ``six>=1.10``) is not a lockfile.

``reproduce`` then rebuilds from the run's recorded distributions (their exact versions)
instead of resolving the file again, and ``run`` warns once per lockfile content
(:func:`warn_unpinned_once`). A requirement counts as pinned when it says ``==X`` (no
wildcard) or ``===X``, when a constraints file (``-c``) pins its name, or when it names
a wheel file or a VCS commit; an editable or a local directory is never pinned.
``uv.lock`` always pins; other lock formats are not read here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

Reader = Callable[[str], "bytes | None"]

_INCLUDE = re.compile(r"^(-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)")
_REQ = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$")
_EXACT = re.compile(r"^(?:===?)\s*([^\s,*;]+)$")
_COMMIT = re.compile(r"@[0-9a-f]{40}(?:[#&]|$)")


def is_requirements(path: str) -> bool:
    """Whether ``path`` names a pip requirements file (read as one when it is a lockfile)."""
    name = PurePosixPath(path).name
    return name.endswith((".txt", ".in")) or name == "requirements.lock"


def _logical_lines(text: str) -> list[str]:
    joined = re.sub(r"\\\r?\n", " ", text)
    out = []
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            out.append(line)
    return out


def _pinned_reference(spec: str) -> bool:
    """A direct reference that names one exact thing: a wheel or a VCS commit."""
    target = spec.split(";", 1)[0].strip()
    return target.split("#", 1)[0].endswith(".whl") or bool(_COMMIT.search(target))


def _read_all(
    read: Reader, rel: str, seen: set[str], reqs: list[str], pins: set[str], *, constraint: bool
) -> None:
    if rel in seen:
        return
    seen.add(rel)
    data = read(rel)
    if data is None:
        return
    for line in _logical_lines(data.decode(errors="replace")):
        m = _INCLUDE.match(line)
        if m:
            inc = os.path.normpath(str(PurePosixPath(rel).parent / m.group(2)))
            if "://" not in m.group(2) and not inc.startswith(("..", "/")):
                is_c = constraint or m.group(1) in ("-c", "--constraint")
                _read_all(read, PurePosixPath(inc).as_posix(), seen, reqs, pins, constraint=is_c)
        elif line.startswith(("-e ", "--editable")):
            reqs.append(line)
        elif line.startswith("-"):
            continue  # --index-url, --find-links, --hash on its own line ...
        elif constraint:
            req = _REQ.match(line.split(" --", 1)[0])
            if req and _EXACT.match(req.group(2).split(";", 1)[0].strip()):
                pins.add(_normal(req.group(1)))
        else:
            reqs.append(line.split(" --", 1)[0].strip())


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unpinned(read: Reader, rel: str) -> list[str]:
    """The requirements of the file ``rel`` (and the files it includes, read through
    ``read``, paths relative to the same root) that are not pinned to one version."""
    reqs: list[str] = []
    pins: set[str] = set()
    _read_all(read, rel, set(), reqs, pins, constraint=False)
    out = []
    for line in reqs:
        req = _REQ.match(line)
        if line.startswith(("-e", "--editable")) or req is None:
            if not _pinned_reference(line):
                out.append(line)
            continue
        rest = req.group(2).strip()
        if rest.startswith("@"):
            ok = _pinned_reference(rest[1:])
        else:
            ok = bool(_EXACT.match(rest.split(";", 1)[0].strip())) or _normal(req.group(1)) in pins
        if not ok:
            out.append(line)
    return out


def _reader(top: Path) -> Reader:
    def read(rel: str) -> bytes | None:
        try:
            return (top / rel).read_bytes()
        except OSError:
            return None

    return read


def warn_unpinned_once(top: Path, state_dir: Path, lock: dict[str, Any] | None) -> str | None:
    """The warning for a run whose lockfile (``{path, hash}`` as recorded, under ``top``)
    does not pin every requirement, the first time this lockfile content is seen in this
    repository (``state_dir`` remembers it); None otherwise. Never raises."""
    try:
        if not lock or not is_requirements(str(lock.get("path"))):
            return None
        rel, digest = str(lock["path"]), str(lock.get("hash"))
        seen = state_dir / "lockfile-warned" / re.sub(r"[^0-9a-f]", "", digest)[:64]
        if seen.exists():
            return None
        loose = unpinned(_reader(top), rel)
        if not loose:
            return None
        seen.parent.mkdir(parents=True, exist_ok=True)
        seen.touch()
        return unpinned_warning(rel, loose, reproduce=False)
    except (OSError, KeyError, ValueError):
        return None


def unpinned_warning(rel: str, loose: list[str], *, reproduce: bool) -> str:
    """The one-line warning about a lockfile that does not pin ``loose``."""
    shown = ", ".join(loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
    if reproduce:
        return (
            f"lockfile {rel} does not pin every requirement ({shown}); installing the "
            "recorded distributions (exact versions) instead"
        )
    return (
        f"lockfile {rel} does not pin every requirement ({shown}): reproduce will install "
        "the exact versions this run records instead (pin them, e.g. with "
        "'uv pip compile' or 'pip freeze', to make the lockfile count)"
    )
