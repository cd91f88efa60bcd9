"""``gitops-ml-check-config`` (pre-commit): gitops-ml.yaml and its params files are valid.

Prints ``path:line: problem`` for each problem and exits 1; exits 0 when all is well.
The config is checked by the same schema and loader as every command
(:mod:`gitops_ml.core.config`). Given file names (pre-commit passes the staged ones), it
only looks when one of them is gitops-ml.yaml or could be a params file it names, and
parses YAML only then.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from gitops_ml.core.config import FILENAME
from gitops_ml.hooks import _files

PROG = "gitops-ml-check-config"


def _relevant(text: str, names: Sequence[str]) -> bool:
    """Whether a staged name is the config or a file the config may name (cheap test)."""
    for name in names:
        if name == FILENAME:
            return True
        if name.endswith((".json", ".yaml", ".yml")) and Path(name).name in text:
            return True
    return False


def check(root: Path, names: Sequence[str] | None = None) -> list[str]:
    """Every problem as ``path:line: message`` (``names``: only look if they matter)."""
    from gitops_ml.core import config

    path = root / FILENAME
    if names is not None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if not _relevant(text, names):
            return []
    cfg, problems = config.check(root)
    if problems:
        return [str(p) for p in problems]
    out: list[str] = []
    for rel in cfg.params:
        out += _check_params(root, rel)
    return out


def _check_params(root: Path, rel: str) -> list[str]:
    from gitops_ml.core.errors import UsageError
    from gitops_ml.core.params import parse_text

    path = root / rel
    if path.is_dir():
        return [f"{rel}: is a directory; 'params' in {FILENAME} names files"]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"{rel}: not found (named under 'params' in {FILENAME})"]
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{rel}: cannot read: {exc}"]
    try:
        parse_text(text, rel)
    except UsageError as exc:
        return [str(exc)]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the pre-commit hook: exit 1 when a problem was found."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("filenames", nargs="*", help="staged files (default: check all)")
    args = parser.parse_args(argv)
    root = _files.top()
    problems = check(root, args.filenames or None)
    for line in problems:
        print(line)
    if problems:
        print(f"{PROG}: fix the lines above (keys are documented in README, 'Configuration')")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
