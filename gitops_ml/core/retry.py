"""One retry policy for compare-and-swap loops and remote rounds, with named limits.

A loop reads::

    for attempt in retry.attempts(retry.NOTES_CAS):
        ... read, compute, compare-and-swap ...
        if swapped:
            return
    raise GitopsError("... too many concurrent writers", ENVIRONMENT)

:func:`attempts` sleeps between attempts (never before the first, never after the last),
the delay growing linearly with the attempt number up to a cap, with optional jitter so
writers that collided once do not collide again in step.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterator


class Policy:
    """How often to try and how long to wait: ``step * n`` seconds before try ``n + 1``,
    at most ``cap``; with ``jitter`` the wait is drawn from ``[wait * low, wait]``.

    (A plain class, not a dataclass: the recording path (gitstore) retries with it, and
    ``dataclasses`` costs ~6 ms of every command's start-up.)
    """

    __slots__ = ("cap", "jitter", "step", "tries")

    def __init__(self, tries: int, step: float, cap: float, jitter: float = 0.0) -> None:
        self.tries = tries
        self.step = step
        self.cap = cap
        self.jitter = jitter

    def __repr__(self) -> str:
        return f"Policy(tries={self.tries}, step={self.step}, cap={self.cap}, jitter={self.jitter})"

    def with_tries(self, tries: int) -> Policy:
        """The same waits, ``tries`` times (a caller's own limit)."""
        return Policy(tries, self.step, self.cap, self.jitter)

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (0-based)."""
        wait = min(self.step * (attempt + 1), self.cap)
        if self.jitter:
            import random  # only remote rounds jitter: not on the recording path

            wait = random.uniform(wait * (1 - self.jitter), wait)
        return wait


# A local notes update (one ref, many writers: parallel runs, a sync merging): cheap tries,
# many of them, since each writer holds the ref only for a few milliseconds.
NOTES_CAS = Policy(tries=200, step=0.002, cap=0.05)
# Merging fetched notes (or environments) into the local ref, or rewriting notes (migrate):
# a heavier step (a git notes merge, new trees) per try.
NOTES_MERGE = Policy(tries=50, step=0.005, cap=0.1)
# Compacting run refs into the archive: the archive tree is rebuilt per try.
ARCHIVE_CAS = Policy(tries=20, step=0.01, cap=0.2)
# A commit to a GitOps branch (deploy): the whole tree step is redone per try.
BRANCH_CAS = Policy(tries=20, step=0.002, cap=0.05)
# One try, no wait: work that may simply be skipped when another writer wins (recording's
# compaction: the next recording tries again).
ONCE = Policy(tries=1, step=0.0, cap=0.0)
# A round against a remote (fetch, merge, push) while others push: few, slow, jittered.
REMOTE_ROUNDS = Policy(tries=10, step=0.1, cap=1.0, jitter=0.8)


def attempts(policy: Policy, *, sleep: bool = True) -> Iterator[int]:
    """Yield ``0 .. policy.tries - 1``, waiting ``policy.delay`` between consecutive ones."""
    for attempt in range(policy.tries):
        if attempt and sleep:
            time.sleep(policy.delay(attempt - 1))
        yield attempt
