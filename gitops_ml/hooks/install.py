"""``gitops-ml init --hooks`` and ``--pre-commit``: install the hooks into a repository.

Plain git hooks go into the repository's hooks directory (``git rev-parse --git-path
hooks``, which honours ``core.hooksPath``). A hook already there is never overwritten: it
is renamed ``<name>.local`` and our script runs it first, keeping its exit code. The
scripts written here are the same as the top-level ``hooks/`` directory of this project
(both made by :mod:`gitops_ml.hooks.catalog`; a test checks it). The
pre-commit config is edited through a round-trip YAML library (ruamel.yaml, imported only
here): comments, order and quoting of the user's file stay. Running either step again
changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gitops_ml.core import git, gitstore
from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import UsageError
from gitops_ml.hooks import catalog
from gitops_ml.version import __version__

PRE_COMMIT_FILE = ".pre-commit-config.yaml"


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
    for name in catalog.GIT_HOOKS:
        path = where / name
        script = catalog.shim_script(name)
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
        if current is not None and catalog.MARKER in current:
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


def pre_commit_entry(url: str | None = None, rev: str | None = None) -> dict[str, object]:
    """Our ``repos:`` item: the gitops-ml repository ``url`` at ``rev`` (default
    ``v<version>``), or without a url ``repo: local`` hooks that run the installed
    ``gitops-ml-*`` commands (``language: system``)."""
    if url:
        hooks = [{"id": h.id, "stages": list(h.stages)} for h in catalog.HOOKS]
        return {"repo": url, "rev": rev or f"v{__version__}", "hooks": hooks}
    return {"repo": "local", "hooks": catalog.local_hooks()}


def _ours(repos: object, url: str | None) -> bool:
    if not isinstance(repos, list):
        return False
    ids = {h.id for h in catalog.HOOKS}
    for item in repos:
        if not isinstance(item, dict):
            continue
        if url and item.get("repo") == url:
            return True
        for hook in item.get("hooks") or []:
            if isinstance(hook, dict) and str(hook.get("id", "")) in ids:
                return True
    return False


def _check(text: str) -> dict[str, object]:
    """Parse with the safe loader (path:line errors), as pre-commit itself would."""
    from gitops_ml.core.params import parse_text

    try:
        return parse_text(text, PRE_COMMIT_FILE)
    except UsageError as exc:
        raise UsageError(f"{exc}; fix it, then run 'gitops-ml init --pre-commit' again") from None


def _round_trip(offset: int = 2, sequence: int = 4) -> Any:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line
    rt.indent(mapping=2, sequence=sequence, offset=offset)
    return rt


def _flow(items: list[str]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _as_yaml(entry: dict[str, object]) -> dict[str, object]:
    """``entry`` with every ``stages`` list in flow style (``[pre-commit]``)."""
    hooks = entry["hooks"]
    assert isinstance(hooks, list)
    flowed = [
        {k: _flow(v) if k == "stages" and isinstance(v, list) else v for k, v in h.items()}
        for h in hooks
    ]
    return {**entry, "hooks": flowed}


def _dump(rt: Any, data: Any) -> str:
    import io

    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def manual_entry(url: str | None = None, rev: str | None = None) -> str:
    """Our ``repos:`` item as YAML text, for a user to paste."""
    return _dump(_round_trip(), {"repos": [_as_yaml(pre_commit_entry(url, rev))]})


_HEADER = (
    "# pre-commit (https://pre-commit.com) configuration, written by "
    "'gitops-ml init --pre-commit'.\n"
    "# Install every hook type listed below with: pre-commit install\n"
)


def _new_config(url: str | None, rev: str | None) -> str:
    data = {
        "default_install_hook_types": _flow(list(catalog.GIT_HOOKS)),
        "repos": [_as_yaml(pre_commit_entry(url, rev))],
    }
    return _HEADER + _dump(_round_trip(), data)


def _indent(lines: list[str], line: int) -> int:
    return len(lines[line]) - len(lines[line].lstrip(" "))


def _entry_lines(lines: list[str], repos: Any, url: str | None, rev: str | None) -> str:
    """Our ``repos:`` item as YAML text, indented as the user's first item is."""
    item_line, content_col = repos.lc.item(0)
    dash_col = _indent(lines, item_line)
    rt = _round_trip(offset=dash_col, sequence=max(content_col, dash_col + 2))
    text = _dump(rt, {"repos": [_as_yaml(pre_commit_entry(url, rev))]})
    return text.split("\n", 1)[1]  # without the "repos:" line


def _block_end(lines: list[str], doc: Any, key: str) -> int:
    """The line after the last line of top-level ``key``'s value, before any trailing
    blank lines and column-0 comments (they stay after what we add)."""
    keys = list(doc)
    after = keys[keys.index(key) + 1 :]
    end = doc.lc.key(after[0])[0] if after else len(lines)
    start = doc.lc.key(key)[0]
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return end


def _edit_config(text: str, url: str | None, rev: str | None) -> tuple[str, list[str]]:
    """``text`` with our hooks added, and what changed.

    The file is parsed with a round-trip YAML parser (ruamel.yaml), which knows where
    every key and item starts; our entry is generated by the same library, indented like
    the user's own items, and inserted at the end of ``repos:``. Every other byte of the
    file stays as it was (a full re-dump would re-indent the user's whole file). A
    ``repos:`` in flow style (``repos: []``) is edited as a round trip of the document.
    The result is parsed again and must hold the user's data unchanged plus our entry.
    """
    from ruamel.yaml.comments import CommentedMap

    before = _check(text)
    done: list[str] = []
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    rt = _round_trip()
    doc = rt.load(text)
    if doc is None:
        doc = CommentedMap()
    assert isinstance(doc, CommentedMap)  # _check refused anything else
    types = before.get("default_install_hook_types")
    if types is None:
        line = _dump(rt, {"default_install_hook_types": _flow(list(catalog.GIT_HOOKS))})
        lines.insert(doc.lc.key(next(iter(doc)))[0] if doc else len(lines), line)
        doc = rt.load("".join(lines))
        done.append(f"set default_install_hook_types in {PRE_COMMIT_FILE}")
    elif isinstance(types, list) and (missing := [t for t in catalog.GIT_HOOKS if t not in types]):
        done.append(
            f"note: add {', '.join(missing)} to default_install_hook_types in "
            f"{PRE_COMMIT_FILE} (left as it is)"
        )
    if not _ours(before.get("repos"), url):
        lines, doc = _add_entry(lines, doc, rt, url, rev)
        done.insert(0, f"added the gitops-ml hooks to {PRE_COMMIT_FILE}")
    new = "".join(lines)
    if new != text and not _same_but_ours(before, _check(new), url):
        raise UsageError(
            f"{PRE_COMMIT_FILE}: could not add the gitops-ml hooks automatically; "
            f"add this under 'repos:' by hand:\n{manual_entry(url, rev)}"
        )
    return new, done


def _add_entry(
    lines: list[str], doc: Any, rt: Any, url: str | None, rev: str | None
) -> tuple[list[str], Any]:
    """``lines`` with our item at the end of ``repos:`` (and the document re-read when
    it had to be re-dumped)."""
    from ruamel.yaml.comments import CommentedSeq

    repos = doc.get("repos")
    if "repos" not in doc:
        return [*lines, manual_entry(url, rev)], doc
    if isinstance(repos, CommentedSeq) and repos and not repos.fa.flow_style():
        lines.insert(_block_end(lines, doc, "repos"), _entry_lines(lines, repos, url, rev))
        return lines, doc
    if repos is not None and not isinstance(repos, list):
        raise UsageError(
            f"{PRE_COMMIT_FILE}: 'repos' is not a list; add the gitops-ml hooks by hand"
        )
    if repos is None:
        doc["repos"] = repos = CommentedSeq()
    repos.fa.set_block_style()
    repos.append(_as_yaml(pre_commit_entry(url, rev)))
    text = _dump(rt, doc)
    return text.splitlines(keepends=True), rt.load(text)


def _same_but_ours(before: dict[str, object], after: dict[str, object], url: str | None) -> bool:
    """``after`` is ``before`` plus our repos item (and the hook types), nothing else."""
    old = before.get("repos") or []
    new = after.get("repos")
    if not isinstance(old, list) or not isinstance(new, list) or new[: len(old)] != old:
        return False
    if len(new) != len(old) + (0 if _ours(old, url) else 1) or not _ours(new, url):
        return False
    keys = set(before) | {"repos", "default_install_hook_types"}
    return set(after) <= keys and all(
        after[k] == before[k] for k in before if k not in ("repos", "default_install_hook_types")
    )


def write_pre_commit_config(
    repo: gitstore.Repo, url: str | None = None, rev: str | None = None
) -> list[str]:
    """Write or extend ``.pre-commit-config.yaml``; returns one line per change."""
    path = repo.top / PRE_COMMIT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        write_atomic(path, _new_config(url, rev))
        return [f"wrote {PRE_COMMIT_FILE} (run 'pre-commit install' to activate it)"]
    new, done = _edit_config(text, url, rev)
    if new != text:
        write_atomic(path, new)
    return done
