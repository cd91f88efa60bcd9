"""``gitops-ml init --hooks`` and ``--pre-commit``: install the hooks into a repository.

Plain git hooks go into the repository's hooks directory (``git rev-parse --git-path
hooks``, which honours ``core.hooksPath``). A hook already there is never overwritten: it
is renamed ``<name>.local`` and our script runs it first, keeping its exit code. The
scripts written here are the same as the top-level ``hooks/`` directory of this project
(a test checks it). Running either step again changes nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gitops_ml.core import git, gitstore
from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import UsageError
from gitops_ml.version import __version__

MARKER = "# gitops-ml-hook"
GIT_HOOKS = ("pre-commit", "post-commit", "pre-push", "post-merge", "post-checkout")
PRE_COMMIT_FILE = ".pre-commit-config.yaml"
# The hooks as `repo: local` entries running the installed console scripts: what
# `init --pre-commit` writes unless told which gitops-ml repository to install them from.
# The same fields as .pre-commit-hooks.yaml (a test keeps the two equal).
LOCAL_HOOKS: dict[str, dict[str, object]] = {
    "gitops-ml-check-config": {
        "name": "gitops-ml config and params files",
        "files": r"\.(ya?ml|json)$",
    },
    "gitops-ml-no-data-in-git": {"name": "gitops-ml no data in git"},
    "gitops-ml-link-commit": {
        "name": "gitops-ml link commit to runs",
        "always_run": True,
        "pass_filenames": False,
    },
    "gitops-ml-push-runs": {
        "name": "gitops-ml push runs",
        "always_run": True,
        "pass_filenames": False,
    },
    "gitops-ml-fetch-runs": {
        "name": "gitops-ml fetch runs",
        "always_run": True,
        "pass_filenames": False,
    },
}
# hook id -> stages, as in .pre-commit-hooks.yaml
HOOK_STAGES = {
    "gitops-ml-check-config": ("pre-commit",),
    "gitops-ml-no-data-in-git": ("pre-commit",),
    "gitops-ml-link-commit": ("post-commit",),
    "gitops-ml-push-runs": ("pre-push",),
    "gitops-ml-fetch-runs": ("post-merge", "post-checkout"),
}

_HEAD = """\
#!/bin/sh
{marker}: {name}, installed by 'gitops-ml init --hooks'.
# Runs {name}.local first (the hook that was here before, if any), then
# 'gitops-ml hook {name}'. Without gitops-ml on PATH it only runs {name}.local.
local_hook="$(dirname "$0")/{name}.local"
"""
_PRE = """\
if [ -x "$local_hook" ]; then
    "$local_hook" "$@" || exit $?
fi
if command -v gitops-ml >/dev/null 2>&1; then
    exec gitops-ml hook {name} "$@"
fi
exit 0
"""
_PRE_PUSH = """\
input=$(cat)  # the refs being pushed, one line each: give them to {name}.local too
if [ -x "$local_hook" ]; then
    if [ -n "$input" ]; then printf '%s\\n' "$input"; fi | "$local_hook" "$@" || exit $?
fi
if command -v gitops-ml >/dev/null 2>&1; then
    gitops-ml hook {name} "$@" </dev/null  # warns, never blocks the push
fi
exit 0
"""
_POST = """\
status=0
if [ -x "$local_hook" ]; then
    "$local_hook" "$@"
    status=$?
fi
if command -v gitops-ml >/dev/null 2>&1; then
    gitops-ml hook {name} "$@"
fi
exit $status
"""


def hook_script(name: str) -> str:
    """The shell script installed as git hook ``name``."""
    body = _PRE_PUSH if name == "pre-push" else _PRE if name.startswith("pre-") else _POST
    return (_HEAD + body).format(marker=MARKER, name=name)


def hooks_dir(repo: gitstore.Repo) -> Path:
    """Where git looks for hooks in this repository (``core.hooksPath`` honoured)."""
    where = Path(git.out(["rev-parse", "--git-path", "hooks"], repo.top))
    return where if where.is_absolute() else repo.top / where


def _write_executable(path: Path, text: str) -> None:
    write_atomic(path, text, mode=0o755)


def install_git_hooks(repo: gitstore.Repo) -> list[str]:
    """Install our git hooks, chaining existing ones; returns one line per change."""
    where = hooks_dir(repo)
    where.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    for name in GIT_HOOKS:
        path = where / name
        script = hook_script(name)
        shown = os.path.relpath(path, repo.top)
        try:
            current = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            current = None
        except IsADirectoryError:
            done.append(f"left {shown} alone: it is a directory")
            continue
        if current == script:
            continue
        if current is not None and MARKER in current:
            _write_executable(path, script)
            done.append(f"updated the {name} hook ({shown})")
            continue
        if current is not None or path.is_symlink():
            saved = path.with_name(f"{name}.local")
            if saved.exists() or saved.is_symlink():
                done.append(
                    f"left {shown} alone: {saved.name} exists too; chain "
                    f"'gitops-ml hook {name} \"$@\"' into it by hand"
                )
                continue
            os.rename(path, saved)
            _write_executable(path, script)
            done.append(
                f"installed the {name} hook ({shown}); the one that was there runs first, as {saved.name}"
            )
            continue
        _write_executable(path, script)
        done.append(f"installed the {name} hook ({shown})")
    return done


# ---------------------------------------------------------------- pre-commit


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) and "\\" in value else str(value)


def pre_commit_entry(indent: str = "  ", url: str | None = None, rev: str | None = None) -> str:
    """Our ``repos:`` item, its dash at ``indent``: the gitops-ml repository ``url`` at
    ``rev`` (default ``v<version>``), or without a url ``repo: local`` hooks that run the
    installed ``gitops-ml-*`` commands (``language: system``)."""
    inner = indent + "  "
    if url:
        lines = [
            f"{indent}- repo: {url}",
            f"{inner}rev: {rev or 'v' + __version__}",
            f"{inner}hooks:",
        ]
    else:
        lines = [f"{indent}- repo: local", f"{inner}hooks:"]
    for hook_id, stages in HOOK_STAGES.items():
        lines.append(f"{inner}  - id: {hook_id}")
        if not url:
            lines.append(f"{inner}    entry: {hook_id}")
            lines.append(f"{inner}    language: system")
            lines += [f"{inner}    {k}: {_yaml_scalar(v)}" for k, v in LOCAL_HOOKS[hook_id].items()]
        lines.append(f"{inner}    stages: [{', '.join(stages)}]")
    return "\n".join(lines) + "\n"


def _install_types() -> str:
    return f"default_install_hook_types: [{', '.join(GIT_HOOKS)}]"


def _ours(repos: object, url: str | None) -> bool:
    if not isinstance(repos, list):
        return False
    for item in repos:
        if not isinstance(item, dict):
            continue
        if url and item.get("repo") == url:
            return True
        for hook in item.get("hooks") or []:
            if isinstance(hook, dict) and str(hook.get("id", "")) in HOOK_STAGES:
                return True
    return False


def _parse(text: str) -> dict[str, object]:
    from gitops_ml.core.params import parse_text

    try:
        return parse_text(text, PRE_COMMIT_FILE)
    except UsageError as exc:
        raise UsageError(f"{exc}; fix it, then run 'gitops-ml init --pre-commit' again") from None


def _add_repo(text: str, url: str | None, rev: str | None) -> str:
    """``text`` with our entry added to its ``repos:`` list, everything else kept."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, ln in enumerate(lines) if re.match(r"^repos\s*:", ln)), None)
    if start is None:
        return "".join(lines) + "repos:\n" + pre_commit_entry(url=url, rev=rev)
    head = lines[start]
    if re.match(r"^repos\s*:\s*\[\s*\]\s*(#.*)?$", head):
        lines[start] = "repos:\n" + pre_commit_entry(url=url, rev=rev)
        return "".join(lines)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#-"):
        end += 1
    # keep trailing blank lines and column-0 comments after our entry
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    dash = next(
        (m.group(1) for ln in lines[start + 1 : end] if (m := re.match(r"^(\s*)- ", ln))), "  "
    )
    lines.insert(end, pre_commit_entry(dash, url, rev))
    return "".join(lines)


def write_pre_commit_config(
    repo: gitstore.Repo, url: str | None = None, rev: str | None = None
) -> list[str]:
    """Write or extend ``.pre-commit-config.yaml``; returns one line per change."""
    path = repo.top / PRE_COMMIT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        path.write_text(
            "# pre-commit (https://pre-commit.com) configuration, written by "
            "'gitops-ml init --pre-commit'.\n"
            "# Install every hook type listed below with: pre-commit install\n"
            f"{_install_types()}\n"
            "repos:\n" + pre_commit_entry(url=url, rev=rev),
            encoding="utf-8",
        )
        return [f"wrote {PRE_COMMIT_FILE} (run 'pre-commit install' to activate it)"]
    data = _parse(text)
    done: list[str] = []
    new = text
    if not _ours(data.get("repos"), url):
        repos = data.get("repos")
        before = len(repos) if isinstance(repos, list) else 0
        new = _add_repo(new, url, rev)
        after = _parse(new).get("repos")
        if not _ours(after, url) or not isinstance(after, list) or len(after) != before + 1:
            raise UsageError(
                f"{PRE_COMMIT_FILE}: could not add the gitops-ml hooks automatically; "
                f"add this under 'repos:' by hand:\n{pre_commit_entry(url=url, rev=rev)}"
            )
        done.append(f"added the gitops-ml hooks to {PRE_COMMIT_FILE}")
    types = data.get("default_install_hook_types")
    if types is None:
        first = next(
            (i for i, ln in enumerate(new.splitlines(keepends=True)) if not ln.startswith("#")),
            None,
        )
        kept = new.splitlines(keepends=True)
        kept.insert(len(kept) if first is None else first, _install_types() + "\n")
        new = "".join(kept)
        done.append(f"set default_install_hook_types in {PRE_COMMIT_FILE}")
    elif isinstance(types, list) and (missing := [t for t in GIT_HOOKS if t not in types]):
        done.append(
            f"note: add {', '.join(missing)} to default_install_hook_types in "
            f"{PRE_COMMIT_FILE} (left as it is)"
        )
    if new != text:
        path.write_text(new, encoding="utf-8")
    return done
