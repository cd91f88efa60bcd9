"""Who owns a piece of run state left on disk (a worktree, a journal): ``"host pid"``.

A run killed outright leaves its state behind; the next run removes it once its owner is
gone. ``reproduce`` marks its worktrees the same way.
"""

from __future__ import annotations

import os
from pathlib import Path


def owner_tag() -> str:
    """``"host pid"`` of this process."""
    return f"{os.uname().nodename} {os.getpid()}"


def owner_file(worktree: Path) -> Path:
    """The file beside ``worktree`` naming the process that made it."""
    return worktree.with_name(worktree.name + ".owner")


def owner_alive(owner: str) -> bool:
    """Whether the process named by ``"host pid"`` may still run (other hosts: assume yes)."""
    host, _, pid = owner.strip().rpartition(" ")
    if host != os.uname().nodename:
        return True  # cannot tell from here
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
