"""Deploy chains in git: ``refs/deploy/<environment>``, and GitOps commits to a branch.

Storage contract: ``refs/deploy/<env>`` is a first-parent chain of commits, one per deploy
or rollback. Each commit has the empty tree; its message is a one-line summary, a blank
line and the event as one JSON object (see :mod:`gitops_ml.core.deployevents`). The chain is
only ever extended (compare-and-swap here, a push with a lease to remotes), so it is the
audit trail: a rollback is a new link, never a rewind.

This module (with :mod:`gitops_ml.core.gitstore`, whose primitives it uses) is the only
writer of these refs.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping

from gitops_ml.core import deployevents, git, gitstore, retry
from gitops_ml.core.errors import ENVIRONMENT, GitopsError, UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

DEPLOY_PREFIX = gitstore.DEPLOY_PREFIX
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_env_name(env: str) -> str:
    """``env`` if it is a usable environment name (letters, digits, ``._-``), else exit 2."""
    if not _ENV_NAME.match(env) or env.endswith((".lock", ".")) or ".." in env:
        raise UsageError(
            f"{env!r} is not an environment name (letters, digits, '.', '_', '-'; "
            "starting with a letter or digit)"
        )
    return env


def deploy_ref(env: str) -> str:
    """The ref of an environment's chain."""
    return DEPLOY_PREFIX + check_env_name(env)


def environments(repo: gitstore.Repo) -> dict[str, str]:
    """Every environment with a chain in this clone, and its head commit."""
    text = git.out(["for-each-ref", "--format=%(objectname) %(refname)", DEPLOY_PREFIX], repo.top)
    out: dict[str, str] = {}
    for line in text.splitlines():
        sha, _, ref = line.partition(" ")
        out[ref[len(DEPLOY_PREFIX) :]] = sha
    return out


def head(repo: gitstore.Repo, env: str) -> str | None:
    """The head commit of an environment's chain (None: nothing deployed yet)."""
    return gitstore.resolve_ref(repo, deploy_ref(env))


def events(repo: gitstore.Repo, tip: str | None) -> list[dict[str, Any]]:
    """Every event of the chain ending at ``tip``, oldest first (see
    :mod:`gitops_ml.core.deployevents` for what a chain says)."""
    return [deployevents.parse(sha, text) for sha, text in chain(repo, tip)]


def chain(repo: gitstore.Repo, tip: str | None) -> list[tuple[str, str]]:
    """``(commit, message)`` of every link from the first to ``tip``, oldest first."""
    if tip is None:
        return []
    commits = git.out(["rev-list", "--first-parent", "--reverse", tip], repo.top).split()
    raws = gitstore.read_objects(repo, commits)
    out = []
    for sha, raw in zip(commits, raws, strict=True):
        text = (raw or b"").decode(errors="replace")
        out.append((sha, text.partition("\n\n")[2]))
    return out


def event_commit(
    repo: gitstore.Repo, parent: str | None, message: str, when: float | None = None
) -> str:
    """A chain link on ``parent`` (not yet on any ref): empty tree, ``message``."""
    ident = gitstore.identity(repo)
    data = gitstore._commit_bytes(
        EMPTY_TREE,
        [parent] if parent else [],
        ident,
        time.time() if when is None else when,
        message,
    )
    gitstore.write_object(repo, "tree", b"")
    return gitstore.write_object(repo, "commit", data)


def advance(repo: gitstore.Repo, env: str, new: str, old: str | None) -> bool:
    """Move the chain from ``old`` to ``new`` (compare-and-swap); False if it moved first."""
    return gitstore.cas_ref(repo, deploy_ref(env), new, old)


# ---------------------------------------------------------------- GitOps commits


def checked_out_branches(repo: gitstore.Repo) -> set[str]:
    """Branches checked out in any worktree of this repository."""
    text = git.out(["worktree", "list", "--porcelain"], repo.top)
    return {
        line[len("branch refs/heads/") :]
        for line in text.splitlines()
        if line.startswith("branch refs/heads/")
    }


def commit_directory(
    repo: gitstore.Repo,
    branch: str,
    directory: str,
    files: Mapping[str, bytes],
    message: str,
    *,
    policy: retry.Policy = retry.BRANCH_CAS,
) -> tuple[str | None, str | None]:
    """Replace ``directory`` on ``branch`` with exactly ``files`` in one new commit.

    Made without a checkout: a temporary index built from the branch tip. The branch ref
    is compare-and-swapped (retried when another writer moved it). Refuses a branch that is
    checked out in a worktree (its files would silently differ from the branch). Returns
    ``(new commit, old tip)``; the new commit is None when the directory already held
    exactly these files (nothing to commit).
    """
    if git.run(["check-ref-format", "--branch", branch], repo.top, check=False).returncode:
        raise UsageError(f"{branch!r} is not a valid branch name")
    if branch in checked_out_branches(repo):
        raise UsageError(
            f"branch {branch!r} is checked out; GitOps manifests need a branch of their own "
            "(set deploy.<env>.kubernetes.branch)"
        )
    directory = directory.strip("/")
    if not directory or directory.startswith("/") or ".." in directory.split("/"):
        raise UsageError(f"{directory!r}: the GitOps path must be a directory inside the repo")
    ref = f"refs/heads/{branch}"
    tmp = repo.tmp_dir() / f"gitops-index-{os.getpid()}-{time.monotonic_ns()}"
    try:
        for _ in retry.attempts(policy):
            old = gitstore.resolve_ref(repo, ref)
            env = {"GIT_INDEX_FILE": str(tmp)}
            tmp.unlink(missing_ok=True)
            if old:
                git.run(["read-tree", old], repo.top, env=env)
                git.run(
                    ["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", directory],
                    repo.top,
                    env=env,
                )
            else:
                git.run(["read-tree", "--empty"], repo.top, env=env)
            info = "".join(
                f"100644 {gitstore.write_blob(repo, data)}\t{directory}/{name}\n"
                for name, data in sorted(files.items())
            )
            git.run(
                ["update-index", "--add", "--index-info"], repo.top, env=env, input=info.encode()
            )
            tree = git.out(["write-tree"], repo.top, env=env)
            if old and gitstore.tree_of(repo, old) == tree:
                return None, old
            commit = gitstore.make_commit(repo, tree, old, message)
            if gitstore.cas_ref(repo, ref, commit, old):
                return commit, old
        raise GitopsError(f"could not update {ref}: too many concurrent writers", ENVIRONMENT)
    finally:
        tmp.unlink(missing_ok=True)
