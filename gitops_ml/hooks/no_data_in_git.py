"""``gitops-ml-no-data-in-git`` (pre-commit): keep data and large files out of git objects.

Refuses a staged file inside a data path declared in gitops-ml.yaml, or larger than the
limit (``--max-kb``, else ``max_untracked_mb`` from gitops-ml.yaml, else 10 MB). Prints
``path: what is wrong`` and how to store it instead, exit 1. Looks only at the names
given (pre-commit passes the staged ones) or, without any, at ``git diff --cached`` once.

Git-tracked files inside a data directory stay code (the README's rule): a file HEAD
already tracks there (``data/.gitignore``, as DVC projects keep) may be committed again,
and so may git's own small files (``.gitignore``, ``.gitattributes``, ``.gitkeep``,
``.keep``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from gitops_ml.core.config import FILENAME
from gitops_ml.hooks import _files

PROG = "gitops-ml-no-data-in-git"
GIT_FILES = (".gitignore", ".gitattributes", ".gitkeep", ".keep")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _tracked(root: Path, under: Sequence[str]) -> set[str]:
    """Files HEAD tracks under the given paths (one git call; empty without a HEAD)."""
    proc = subprocess.run(
        ["git", "ls-tree", "-r", "-z", "--name-only", "--full-tree", "HEAD", "--", *under],
        cwd=root,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    if proc.returncode != 0:
        return set()
    return {n for n in proc.stdout.decode(errors="surrogateescape").split("\0") if n}


def _store_it(name: str) -> str:
    return (
        f"unstage it ('git rm --cached {name}'), then 'gitops-ml data push' stores its "
        "current content in the data store"
    )


def check(root: Path, names: Sequence[str], max_bytes: int | None = None) -> list[str]:
    """Every refused file as ``path: what is wrong; what to do``."""
    from gitops_ml.core.paths import owner

    cfg = _files.load_config(root)
    limit_from = "--max-kb"
    if max_bytes is None:
        max_bytes = cfg.max_untracked_bytes
        limit_from = (
            "max_untracked_mb in gitops-ml.yaml" if "max_untracked_mb" in cfg.raw else "default"
        )
    inside = {name: owner(name, cfg.data) for name in names}
    candidates = sorted({d for d in inside.values() if d is not None})
    tracked = _tracked(root, candidates) if candidates else set()
    out = []
    for name in names:
        declared = inside[name]
        if declared is not None:
            if name in tracked or name.rsplit("/", 1)[-1] in GIT_FILES:
                continue  # tracked files inside a data directory stay code
            out.append(
                f"{name}: inside the data path '{declared}' declared in {FILENAME}: data is "
                f"recorded by hash, not committed; {_store_it(name)}"
            )
            continue
        try:
            size = os.lstat(root / name).st_size
        except OSError:
            continue
        if size > max_bytes:
            out.append(
                f"{name}: {_size(size)}, above the {_size(max_bytes)} limit ({limit_from}): "
                f"track it as data instead: list it under 'data:' in {FILENAME}, then "
                f"{_store_it(name)}"
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the pre-commit hook: exit 1 when a file was refused."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("filenames", nargs="*", help="staged files (default: git diff --cached)")
    parser.add_argument(
        "--max-kb", type=float, help="size limit in KB (default: max_untracked_mb, or 10 MB)"
    )
    args = parser.parse_args(argv)
    root = _files.top()
    names = args.filenames or _files.staged(root)
    limit = int(args.max_kb * 1024) if args.max_kb is not None else None
    from gitops_ml.core.errors import GitopsError

    try:
        problems = check(root, names, limit)
    except GitopsError as exc:
        print(f"{PROG}: {exc}")
        return 1
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
