"""Which runs a change claims, and the base branch's runs it is measured against.

A change ``base..head`` claims a run when the run was made on one of its commits (the run
commit's parent), when a ``link`` fact ties the run to one of its commits (the
``gitops-ml-link-commit`` hook), or when the run's code snapshot is exactly the head's
tree. Reproductions (``reproduces``) and CI's own retrains (tag ``ci``) are never claims.
The base side is every run made on, or linked to, a commit reachable from ``base``.
"""

from __future__ import annotations

from gitops_ml.core import git, gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import index

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

CI_TAG = "ci"
BASE_HISTORY = 5000  # commits of the base branch searched for its runs


def rev(repo: gitstore.Repo, spec: str) -> str:
    """The commit id of ``spec`` (a usage error when it names no commit)."""
    if spec.startswith("-"):
        raise UsageError(f"{spec!r} is not a revision")
    sha = gitstore.resolve_ref(repo, f"{spec}^{{commit}}")
    if not sha:
        raise UsageError(f"{spec!r} names no commit here (is the history fetched? fetch-depth: 0)")
    return sha


def _rev_list(repo: gitstore.Repo, *args: str) -> list[str]:
    text = git.out(["rev-list", *args], repo.top)
    return text.split() if text else []


def _own(rec: dict[str, Any]) -> bool:
    """An original run: not a reproduction, not a CI retrain."""
    return not rec.get("reproduces") and CI_TAG not in (rec.get("tags") or [])


def _linked(facts: list[dict[str, Any]]) -> list[str]:
    return [str(f["commit"]) for f in facts if f.get("type") == "link" and f.get("commit")]


LINK_FACT = '"type":"link"'  # how a link fact reads in a stored text (compact JSON)


def candidates(
    repo: gitstore.Repo, commits: set[str], *, tree: str | None = None, newest_first: bool = False
) -> Iterator[dict[str, Any]]:
    """The runs (with their ``notes`` facts) that may have been made on, or linked to,
    one of ``commits``, or have ``tree`` as their snapshot: a superset picked inside the
    index without parsing every record; callers check each exactly."""
    mentioning = [LINK_FACT] + ([tree] if tree else [])
    return index.load(repo, quiet=True).iter_runs(
        newest_first=newest_first, mentioning=mentioning, made_on=sorted(commits)
    )


def claimed(repo: gitstore.Repo, base: str, head: str, cap: int) -> list[dict[str, Any]]:
    """The runs ``base..head`` claims, newest first, at most ``cap``; each gets ``claim``."""
    base_sha, head_sha = rev(repo, base), rev(repo, head)
    commits = set(_rev_list(repo, f"{base_sha}..{head_sha}"))
    head_tree = gitstore.tree_of(repo, head_sha)
    out = []
    for rec in candidates(repo, commits, tree=head_tree, newest_first=True):
        if not _own(rec):
            continue
        g = rec.get("git") or {}
        if g.get("base") in commits:
            why = f"made on {str(g['base'])[:12]}"
        elif linked := [c for c in _linked(rec.get("notes") or []) if c in commits]:
            why = f"linked to {linked[0][:12]}"
        elif g.get("tree") and g.get("tree") == head_tree:
            why = "same code as the head"
        else:
            continue
        out.append(dict(rec, claim=why))
        if len(out) >= cap:
            break
    return out


def base_runs(repo: gitstore.Repo, base: str) -> list[dict[str, Any]]:
    """The successful original runs of the base branch, oldest first."""
    base_sha = rev(repo, base)
    commits = set(_rev_list(repo, f"--max-count={BASE_HISTORY}", base_sha))
    out = []
    for rec in candidates(repo, commits):
        if not _own(rec) or rec.get("exit_code") != 0:
            continue
        if (rec.get("git") or {}).get("base") in commits or any(
            c in commits for c in _linked(rec.get("notes") or [])
        ):
            out.append(rec)
    return out
