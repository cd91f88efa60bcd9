"""Tags added after a run: ``tag`` and ``untag`` facts in the notes, and a run's tags.

A run's tags are those it was recorded with (``-t``, the Python API) plus the tags added
later by ``gitops-ml runs tag``, minus those removed later. Later changes are notes facts
on the run commit, ``{"type": "tag", "tag", "by", "at"}`` (``"remove": true`` for a
removal): they travel with
``sync`` like every fact, and concurrent changes from several clones merge (union of
lines); the latest change of a tag (by ``at``) wins, a removal winning a tie.
"""

from __future__ import annotations

import json

from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

MAX_TAG = 100


def check_tag(tag: str) -> str:
    """``tag`` if it is a usable tag (printable, no spaces at the ends, <= 100 chars)."""
    if not tag or len(tag) > MAX_TAG or not tag.isprintable() or tag != tag.strip():
        shown = tag.encode("unicode_escape").decode("ascii")[:MAX_TAG]
        raise UsageError(
            f"{shown!r} is not a tag: 1 to {MAX_TAG} printable characters, no surrounding spaces"
        )
    return tag


def fact_lines(tags: Sequence[str], *, remove: bool, by: str, at: str) -> str:
    """The notes lines recording ``tags`` added (or removed) by ``by`` at ``at``."""
    extra = {"remove": True} if remove else {}
    return "\n".join(
        json.dumps(
            {"type": "tag", "tag": check_tag(t), "by": by, "at": at, **extra},
            sort_keys=True,
            separators=(",", ":"),
        )
        for t in dict.fromkeys(tags)
    )


def change(
    repo: gitstore.Repo, run_id: str, commit: str, tags: Sequence[str], *, remove: bool = False
) -> None:
    """Add (or remove) ``tags`` on a run: one compare-and-swap notes transaction."""
    from gitops_ml.core.times import utc_iso

    lines = fact_lines(tags, remove=remove, by=gitstore.identity(repo)[1], at=utc_iso())
    what = "untag" if remove else "tag"
    gitstore.append_notes(repo, {commit: lines}, f"gitops-ml: {what} {run_id}\n")


def effective(recorded: Iterable[Any] | None, facts: Iterable[Mapping[str, Any]]) -> list[str]:
    """A run's tags now: ``recorded`` (in order), then tags added later, minus removals."""
    state: dict[str, bool] = {str(t): True for t in (recorded or []) if isinstance(t, str)}
    events = []
    for i, fact in enumerate(facts):
        tag = fact.get("tag")
        if fact.get("type") == "tag" and isinstance(tag, str):
            events.append((str(fact.get("at") or ""), fact.get("remove") is True, i, tag))
    for _, removed, _, tag in sorted(events):
        state[tag] = not removed
    return [t for t, on in state.items() if on]
