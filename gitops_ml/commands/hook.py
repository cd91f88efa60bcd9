"""``gitops-ml hook NAME [ARGS]``: run a git hook's implementation (used by ``hooks/``).

``NAME`` is a git hook name (``pre-commit``, ``post-commit``, ``pre-push``,
``post-merge``, ``post-checkout``) or a hook id (``link-commit``, ``gitops-ml-push-runs``,
...). ``pre-commit`` runs both checks on the staged files, listed once.
"""

from __future__ import annotations

import argparse
import importlib

from gitops_ml.core.errors import UsageError

BY_GIT_HOOK = {
    "pre-commit": ("check_config", "no_data_in_git"),
    "post-commit": ("link_commit",),
    "pre-push": ("push_runs",),
    "post-merge": ("fetch_runs",),
    "post-checkout": ("fetch_runs",),
}
HOOK_IDS = ("link-commit", "push-runs", "fetch-runs", "check-config", "no-data-in-git")


def modules_for(name: str) -> tuple[str, ...]:
    """The hook modules that ``name`` runs, in order."""
    if name in BY_GIT_HOOK:
        return BY_GIT_HOOK[name]
    short = name.removeprefix("gitops-ml-")
    if short in HOOK_IDS:
        return (short.replace("-", "_"),)
    known = ", ".join([*BY_GIT_HOOK, *HOOK_IDS])
    raise UsageError(f"unknown hook '{name}' (known: {known})")


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
            return 0
        hook_args = ["--", *staged]
    code = 0
    for name in modules:
        module = importlib.import_module(f"gitops_ml.hooks.{name}")
        code = max(code, int(module.main(hook_args)))
    return code
