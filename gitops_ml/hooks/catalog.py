"""The one list of gitops-ml's hooks, from which everything else about them is made.

Each :class:`Hook` names its id (also its console script and pre-commit ``entry``), the
module under :mod:`gitops_ml.hooks` whose ``main(argv)`` runs it, its pre-commit fields
and the git hooks (stages) it runs in. From this catalog come:

- ``.pre-commit-hooks.yaml`` (the hook repository form): :func:`manifest_text`, checked
  by a test; regenerate it with ``python -m gitops_ml.hooks.catalog > .pre-commit-hooks.yaml``;
- the ``repo: local`` hooks ``init --pre-commit`` writes: :func:`local_hooks`;
- the git hook shims ``init --hooks`` installs and the top-level ``hooks/`` folder ships:
  :func:`shim_script` (a test checks the folder);
- ``gitops-ml hook NAME``'s dispatch: :func:`for_name`;
- the ``[project.scripts]`` of ``pyproject.toml``: :func:`console_scripts` (checked by a
  test).

Imported on the hook hot path: plain tuples and a slotted class, nothing else.
"""

from __future__ import annotations

from gitops_ml.core.errors import UsageError

MARKER = "# gitops-ml-hook"
MIN_PRE_COMMIT = "3.2.0"  # the stage names of git hooks (`pre-commit`, not `commit`)


class Hook:
    """One hook: its id, implementing module, pre-commit fields and stages."""

    __slots__ = ("always_run", "description", "files", "id", "module", "name", "stages")

    def __init__(
        self,
        id: str,
        module: str,
        name: str,
        description: str,
        stages: tuple[str, ...],
        *,
        files: str | None = None,
        always_run: bool = False,
    ) -> None:
        self.id = id
        self.module = module
        self.name = name
        self.description = description
        self.stages = stages
        self.files = files
        self.always_run = always_run

    @property
    def pass_filenames(self) -> bool:
        """Checks get the staged names; hooks that always run get none."""
        return not self.always_run

    def fields(self) -> dict[str, object]:
        """The pre-commit fields both hook forms share (manifest and ``repo: local``)."""
        out: dict[str, object] = {"id": self.id, "name": self.name}
        if self.files is not None:
            out["files"] = self.files
        if self.always_run:
            out["always_run"] = True
            out["pass_filenames"] = False
        out["stages"] = list(self.stages)
        return out


HOOKS: tuple[Hook, ...] = (
    Hook(
        "gitops-ml-check-config",
        "check_config",
        "gitops-ml config and params files",
        "gitops-ml.yaml and the params files it names parse and match their schema "
        "(path:line of each problem).",
        ("pre-commit",),
        files=r"\.(ya?ml|json)$",
    ),
    Hook(
        "gitops-ml-no-data-in-git",
        "no_data_in_git",
        "gitops-ml no data in git",
        "refuses a staged file inside a declared data path or above the size limit "
        "(max_untracked_mb, or --max-kb), and says how to track it as data.",
        ("pre-commit",),
    ),
    Hook(
        "gitops-ml-link-commit",
        "link_commit",
        "gitops-ml link commit to runs",
        "when a commit holds exactly the code snapshot of a run made on its parent, notes "
        "link the two (shown by git log).",
        ("post-commit",),
        always_run=True,
    ),
    Hook(
        "gitops-ml-push-runs",
        "push_runs",
        "gitops-ml push runs",
        "pushes runs, notes and deploy refs to the remote being pushed to; a network failure "
        "is a warning, never blocks the push.",
        ("pre-push",),
        always_run=True,
    ),
    Hook(
        "gitops-ml-fetch-runs",
        "fetch_runs",
        "gitops-ml fetch runs",
        "after a pull or checkout, fetches runs and notes from the upstream remote and "
        "merges the notes; a remote that is down is a warning.",
        ("post-merge", "post-checkout"),
        always_run=True,
    ),
)

# The git hooks we install (and pre-commit's `default_install_hook_types`): every stage
# above, in order of first appearance.
GIT_HOOKS: tuple[str, ...] = tuple(dict.fromkeys(s for h in HOOKS for s in h.stages))


def by_id(hook_id: str) -> Hook:
    """The hook named ``hook_id``, with or without its ``gitops-ml-`` prefix."""
    want = hook_id if hook_id.startswith("gitops-ml-") else f"gitops-ml-{hook_id}"
    for hook in HOOKS:
        if hook.id == want:
            return hook
    raise KeyError(hook_id)


def for_git_hook(git_hook: str) -> tuple[Hook, ...]:
    """The hooks a git hook runs, in catalog order (``pre-commit``: both checks)."""
    return tuple(h for h in HOOKS if git_hook in h.stages)


def for_name(name: str) -> tuple[Hook, ...]:
    """What ``gitops-ml hook NAME`` runs: a git hook's hooks, or one hook by id."""
    if name in GIT_HOOKS:
        return for_git_hook(name)
    try:
        return (by_id(name),)
    except KeyError:
        short = [h.id.removeprefix("gitops-ml-") for h in HOOKS]
        known = ", ".join([*GIT_HOOKS, *short])
        raise UsageError(f"unknown hook '{name}' (known: {known})") from None


def console_scripts() -> dict[str, str]:
    """``[project.scripts]`` entries of the hooks: id -> ``module:main``."""
    return {h.id: f"gitops_ml.hooks.{h.module}:main" for h in HOOKS}


def manifest_hooks() -> list[dict[str, object]]:
    """The entries of ``.pre-commit-hooks.yaml`` (pre-commit installs the package)."""
    out = []
    for hook in HOOKS:
        fields = hook.fields()
        entry: dict[str, object] = {
            "id": hook.id,
            "name": hook.name,
            "description": hook.description,
            "entry": hook.id,
            "language": "python",
        }
        entry.update((k, v) for k, v in fields.items() if k not in entry)
        entry["minimum_pre_commit_version"] = MIN_PRE_COMMIT
        out.append(entry)
    return out


def local_hooks() -> list[dict[str, object]]:
    """``repo: local`` entries running the installed console scripts (``language: system``)."""
    out = []
    for hook in HOOKS:
        fields = hook.fields()
        entry: dict[str, object] = {"id": hook.id, "entry": hook.id, "language": "system"}
        entry.update((k, v) for k, v in fields.items() if k not in entry)
        out.append(entry)
    return out


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    text = str(value)
    plain = text and not text[:1].isdigit() and text[:1] not in "!&*[]{}|>'\"%@`,?-#"
    if plain and ": " not in text and " #" not in text and text == text.strip():
        return text
    return "'" + text.replace("'", "''") + "'"


def manifest_text() -> str:
    """The text of ``.pre-commit-hooks.yaml`` (plain block YAML, one key a line)."""
    lines = [
        "# Hooks of gitops-ml for the pre-commit framework (https://pre-commit.com).",
        "# Install every stage with: pre-commit install (default_install_hook_types lists them),",
        "# or write the config with: gitops-ml init --pre-commit",
        "# Generated from gitops_ml/hooks/catalog.py: "
        "python -m gitops_ml.hooks.catalog > .pre-commit-hooks.yaml",
    ]
    for entry in manifest_hooks():
        first = True
        for key, value in entry.items():
            lines.append(f"{'- ' if first else '  '}{key}: {_scalar(value)}")
            first = False
    return "\n".join(lines) + "\n"


_SHIM_HEAD = """\
#!/bin/sh
{marker}: {name}, installed by 'gitops-ml init --hooks'.
# Runs {name}.local first (the hook that was here before, if any), then
# 'gitops-ml hook {name}'. Without gitops-ml on PATH it only runs {name}.local.
local_hook="$(dirname "$0")/{name}.local"
"""
_SHIM_CHECK = """\
if [ -x "$local_hook" ]; then
    "$local_hook" "$@" || exit $?
fi
if command -v gitops-ml >/dev/null 2>&1; then
    exec gitops-ml hook {name} "$@"
fi
exit 0
"""
_SHIM_PRE_PUSH = """\
input=$(cat)  # the refs being pushed, one line each: give them to {name}.local too
if [ -x "$local_hook" ]; then
    if [ -n "$input" ]; then printf '%s\\n' "$input"; fi | "$local_hook" "$@" || exit $?
fi
if command -v gitops-ml >/dev/null 2>&1; then
    gitops-ml hook {name} "$@" </dev/null  # warns, never blocks the push
fi
exit 0
"""
_SHIM_POST = """\
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


def shim_script(git_hook: str) -> str:
    """The shell script installed as git hook ``git_hook``: the hook that was there before
    (``NAME.local``) first, then ``gitops-ml hook NAME``. A ``pre-*`` hook can block with
    its exit code (pre-push reads the pushed refs from stdin and only warns); a ``post-*``
    hook keeps the local hook's exit code."""
    if git_hook not in GIT_HOOKS:
        raise KeyError(git_hook)
    if git_hook == "pre-push":
        body = _SHIM_PRE_PUSH
    elif git_hook.startswith("pre-"):
        body = _SHIM_CHECK
    else:
        body = _SHIM_POST
    return (_SHIM_HEAD + body).format(marker=MARKER, name=git_hook)


if __name__ == "__main__":
    import sys

    sys.stdout.write(manifest_text())
