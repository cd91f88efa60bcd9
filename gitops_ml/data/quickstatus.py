"""``data status`` with nothing changed, answered from a snapshot at start-up.

When a whole ``data status`` finds every declared path unchanged, each one a directory
its private git index vouched for (:mod:`gitops_ml.core.statindex`), every one complete
in the local cache, and no ``store:`` configured, it keeps its rows in
``.git/gitops-ml/status-quick.bin`` (marshal) with what they were derived from: the
stat of ``gitops-ml.yaml`` and of the config schema, the refs' fingerprint
(:mod:`gitops_ml.core.refstamp`), each directory's private index and its folders, and
the cache files the "cached" column rests on. Otherwise the file is removed.

:func:`answer` checks all of it again (the folders from Python, the files by git's stat
pass over the same private index, exactly as the lookup does) and returns the rows only
when every input is as it was; ``None`` sends the command down its whole path. It
imports nothing beyond ``os`` and ``marshal`` (builtin) and starts git with
``posix_spawnp`` (:func:`gitops_ml.core.git.quick`): the whole path's imports (argparse,
subprocess, pathlib, json, re, blake3) cost more than git's stat pass itself.
"""

from __future__ import annotations

import marshal
import os

import gitops_ml.core
from gitops_ml.core import git, refstamp, statcheck
from gitops_ml.version import __version__

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.core.config import Config
    from gitops_ml.core.gitstore import Repo
    from gitops_ml.core.statindex import StatIndex
    from gitops_ml.data.cache import LocalStore

FILE = "status-quick.bin"
VERSION = 1
CONFIG = "gitops-ml.yaml"
SCHEMA = os.path.join(os.path.dirname(gitops_ml.core.__file__), "config.schema.json")


def inputs(top: str | os.PathLike[str]) -> tuple[list[int] | None, list[int] | None]:
    """The stats of ``gitops-ml.yaml`` and the schema, taken before the config is read."""
    return statcheck.stamp(os.path.join(top, CONFIG)), statcheck.stamp(SCHEMA)


def keep(
    repo: Repo,
    cfg: Config,
    rows: list[dict[str, Any]],
    *,
    config_stamps: tuple[list[int] | None, list[int] | None],
    refs: str | None,
    stat_index: StatIndex,
    local: LocalStore,
) -> None:
    """Write the snapshot when ``rows`` qualify (module docs), else remove it.

    ``config_stamps``: :func:`inputs` taken before the config was read; ``refs``: the
    fingerprint the last data entries were read under (None: not at rest).
    """
    import contextlib

    path = os.path.join(repo.state_dir, FILE)
    top = os.fspath(repo.top)
    dirs: list[tuple[str, str, list[int] | None, str, list[int] | None, Any]] = []
    must_exist: list[str] = []
    ok = (
        refs is not None
        and not cfg.store
        and bool(rows)
        and None not in config_stamps
        and inputs(top) == config_stamps
    )
    for row in rows if ok else []:
        full = os.path.join(top, row["path"])
        hit = stat_index.hits.get(full)
        if (
            hit is None
            or row["state"] != "unchanged"
            or row["kind"] != "dir"
            or row.get("cached") is not True
            or row.get("problem")
            or row.get("changes")
            or not local.is_complete(row["hash"])
        ):
            ok = False
            break
        idx, idx_stamp, meta, meta_stamp, folders = hit
        dirs.append((full, idx, idx_stamp, meta, meta_stamp, folders))
        must_exist.extend(local.complete_paths(row["hash"]))
    if not ok:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    snapshot = {
        "v": VERSION,
        "version": __version__,
        "top": top,
        "git_dir": os.fspath(repo.git_dir),
        "format": repo.object_format,
        "config": config_stamps[0],
        "schema": config_stamps[1],
        "refs": refs,
        "dirs": dirs,
        "exist": must_exist,
        "rows": rows,
    }
    from gitops_ml.core.atomic import write_atomic

    with contextlib.suppress(OSError, ValueError):  # ValueError: not marshal's types
        write_atomic(repo.state_dir / FILE, marshal.dumps(snapshot), durable=False)


def answer() -> list[dict[str, Any]] | None:
    """The rows of the last ``data status`` if nothing they rest on changed, else None."""
    try:
        return _answer()
    except (OSError, ValueError, TypeError, KeyError, IndexError, EOFError):
        return None


def _answer() -> list[dict[str, Any]] | None:
    # git's stat pass over each private index is started on the snapshot found by a
    # guess (the .git folder above), while rev-parse says where the repository really
    # is; the guess is then checked (else: the snapshot rev-parse points to, in turn).
    rev: tuple[int, int] | None = git.start(git.REV_PARSE_REPO)
    started: list[tuple[int, int]] = []
    try:
        guess = _guess()
        kept = _snapshot(guess) if guess is not None else None
        if kept is not None:
            if not _dirs_as_kept(kept):
                return None  # a folder or an index moved (or the guess was wrong)
            started = _check_files(kept)
        assert rev is not None
        code, out = git.finish(rev)
        rev = None
        lines = out.decode().split("\n")
        if code != 0 or len(lines) < 5 or not lines[0]:
            return None
        top, git_dir, common = lines[0], lines[1], lines[2]
        common = os.path.realpath(os.path.join(os.getcwd(), common))
        if kept is None or guess is None or common != os.path.realpath(guess):
            _finish(started)
            started = []
            kept = _snapshot(common)
            if kept is None or not _dirs_as_kept(kept):
                return None
            started = _check_files(kept)
        if not (
            kept["top"] == top
            and kept["git_dir"] == git_dir
            and kept["format"] == (lines[4].strip() or "sha1")
            and inputs(top) == (kept["config"], kept["schema"])
            and refstamp.fingerprint(common) == kept["refs"]
            and all(os.path.exists(p) for p in kept["exist"])
        ):
            return None
        checked, started = _finish(started), []
        if any(code != 0 or out for code, out in checked):
            return None
    finally:
        if rev is not None:
            git.finish(rev)
        _finish(started)
    rows: list[dict[str, Any]] = kept["rows"]
    return rows


def _guess() -> str | None:
    """The ``.git`` folder in the current directory or the nearest one above it."""
    here = os.getcwd()
    while True:
        candidate = os.path.join(here, ".git")
        if os.path.isdir(candidate):
            return candidate
        up = os.path.dirname(here)
        if up == here:
            return None
        here = up


def _snapshot(common: str) -> dict[str, Any] | None:
    """The snapshot kept in the repository whose common git folder is ``common``."""
    try:
        with open(os.path.join(common, "gitops-ml", FILE), "rb") as fh:
            kept: dict[str, Any] = marshal.load(fh)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(kept, dict) or kept.get("v") != VERSION:
        return None
    return kept if kept.get("version") == __version__ else None


def _dirs_as_kept(kept: dict[str, Any]) -> bool:
    """Each private index and each folder of its directory as when the rows were kept."""
    for full, idx, idx_stamp, meta, meta_stamp, folders in kept["dirs"]:
        if statcheck.stamp(idx) != idx_stamp or statcheck.stamp(meta) != meta_stamp:
            return False
        if not statcheck.folders_unchanged(full, folders):
            return False
    return True


def _check_files(kept: dict[str, Any]) -> list[tuple[int, int]]:
    """git's stat pass over each directory's private index, started (see ``_finish``)."""
    top = kept["top"]
    started = []
    try:
        for _, idx, _, _, _, _ in kept["dirs"]:
            started.append(git.start(["-C", top, *statcheck.CHECK], {"GIT_INDEX_FILE": idx}))
    except BaseException:
        _finish(started)
        raise
    return started


def _finish(started: list[tuple[int, int]]) -> list[tuple[int, bytes]]:
    """Wait for every started git; their ``(exit code, stdout)``."""
    return [git.finish(child) for child in started]
