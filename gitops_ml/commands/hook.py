"""``gitops-ml hook NAME [ARGS]``: run a git hook's implementation (used by ``hooks/``).

``NAME`` is a git hook name (``pre-commit``, ``post-commit``, ``pre-push``,
``post-merge``, ``post-checkout``) or a hook id (``link-commit``, ``gitops-ml-push-runs``,
...). ``pre-commit`` runs both checks on the staged files, listed once.
"""

from __future__ import annotations

import argparse
import importlib

from gitops_ml.core.errors import OK
from gitops_ml.hooks import catalog


def modules_for(name: str) -> tuple[str, ...]:
    """The hook modules that ``name`` runs, in order (from :mod:`gitops_ml.hooks.catalog`)."""
    return tuple(h.module for h in catalog.for_name(name))


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("name")
    p.add_argument("hook_args", nargs=argparse.REMAINDER)


def main(args: argparse.Namespace) -> int:
    modules = modules_for(args.name)
    hook_args = list(args.hook_args)
    if hook_args[:1] == ["--"]:
        hook_args = hook_args[1:]
    if args.name == "pre-commit" and not hook_args:
        from gitops_ml.hooks import _files

        staged = _files.staged(_files.top())
        if not staged:
            return OK
        hook_args = ["--", *staged]
    code = OK
    for name in modules:
        module = importlib.import_module(f"gitops_ml.hooks.{name}")
        code = max(code, int(module.main(hook_args)))
    return code
