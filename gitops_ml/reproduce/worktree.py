"""The checkout a reproduce re-runs in: a detached worktree of the run's snapshot under
``.git/gitops-ml/worktrees/`` (the user's work tree, index and HEAD are never touched).

An owner file beside it names this process, so a reproduce killed half-way leaves nothing
that a later run does not sweep away (the recorder's sweep reads the same owner files).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.runs import ownership


@contextlib.contextmanager
def checkout(
    repo: gitstore.Repo, run_id: str, snapshot: str, *, keep: bool, log: Callable[[str], None]
) -> Iterator[Path]:
    """Check ``snapshot`` out into a fresh worktree; removed afterwards unless ``keep``."""
    where = repo.state_dir / "worktrees" / f"reproduce-{run_id}-{uuid.uuid4().hex[:8]}"
    where.parent.mkdir(parents=True, exist_ok=True)
    owner = ownership.owner_file(where)
    owner.write_text(ownership.owner_tag())  # a killed reproduce's worktree is removed later
    try:
        log(f"checking out the code of run {run_id} ({snapshot[:12]}) into {where}")
        gitstore.add_worktree(repo, snapshot, where)
        yield where
    finally:
        if keep and where.exists():
            owner.unlink(missing_ok=True)
            log(f"kept the worktree {where}")
        else:
            gitstore.remove_worktree(repo, where)
            owner.unlink(missing_ok=True)
