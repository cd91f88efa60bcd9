"""``gitops-ml-no-data-in-git`` (pre-commit): keep data and large files out of git objects.

Refuses a staged file inside a data path declared in gitops-ml.yaml, or larger than the
limit (``--max-kb``, else ``max_untracked_mb`` from gitops-ml.yaml, else 10 MB). Prints
``path: what is wrong`` and how to track it instead, exit 1. Looks only at the names
given (pre-commit passes the staged ones) or, without any, at ``git diff --cached`` once.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from gitops_ml.core.config import FILENAME
from gitops_ml.hooks import _files

PROG = "gitops-ml-no-data-in-git"
DEFAULT_MB = 10.0


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def check(root: Path, names: Sequence[str], max_bytes: int | None = None) -> list[str]:
    """Every refused file as ``path: what is wrong; what to do``."""
    _, cfg = _files.read_config(root)
    data_paths = _files.as_list(cfg.get("data"))
    limit_from = "--max-kb"
    if max_bytes is None:
        mb = cfg.get("max_untracked_mb", DEFAULT_MB)
        mb = mb if isinstance(mb, int | float) and not isinstance(mb, bool) else DEFAULT_MB
        max_bytes = int(mb * 1024 * 1024)
        limit_from = (
            "max_untracked_mb in gitops-ml.yaml" if "max_untracked_mb" in cfg else "default"
        )
    out = []
    for name in names:
        inside = next((d for d in data_paths if name == d or name.startswith(d + "/")), None)
        if inside is not None:
            out.append(
                f"{name}: inside the data path '{inside}' declared in {FILENAME}: data is "
                f"recorded by hash, not committed; unstage it ('git rm --cached {name}'), "
                "and run 'gitops-ml data push' to store it"
            )
            continue
        try:
            size = os.lstat(root / name).st_size
        except OSError:
            continue
        if size > max_bytes:
            out.append(
                f"{name}: {_size(size)}, above the {_size(max_bytes)} limit ({limit_from}): "
                f"track it as data instead: list it under 'data:' in {FILENAME}, "
                f"'git rm --cached {name}', then 'gitops-ml data push'"
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
    problems = check(root, names, limit)
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
