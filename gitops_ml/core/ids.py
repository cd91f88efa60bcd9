"""Run ids: ULIDs (time-sortable, unique without coordination); any unique prefix resolves."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from gitops_ml.core.errors import UsageError

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_CROCKFORD = frozenset(_ALPHABET)


def new_id() -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, Crockford base32.

    Written out here (a dozen lines) because the ``python-ulid`` import costs ~20 ms on the
    recording hot path, which is more than recording itself.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -5, -5))


def started_ms(run_id: str) -> int | None:
    """The start time a ULID run id begins with (milliseconds), None if not a ULID."""
    value = 0
    for ch in run_id[:10]:
        digit = _ALPHABET.find(ch)
        if digit < 0:
            return None
        value = value * 32 + digit
    return value if len(run_id) == 26 else None


def normalize(prefix: str) -> str:
    """A run id or prefix as stored: upper case, no surrounding blanks."""
    return prefix.strip().upper()


def resolve(prefix: str, ids: Iterable[str]) -> str:
    """The one id starting with ``prefix`` (case-insensitive), or a clear usage error."""
    want = normalize(prefix)
    if not want or not set(want) <= _CROCKFORD:
        raise UsageError(f"{prefix!r} is not a run id (26 characters of 0-9 and A-Z, or a prefix)")
    matches = [i for i in ids if i.startswith(want)]
    if not matches:
        raise UsageError(
            f"no run matches {prefix!r} (see 'gitops-ml runs ls'; 'gitops-ml sync' fetches others' runs)"
        )
    if len(matches) > 1:
        shown = ", ".join(sorted(matches)[:5])
        raise UsageError(f"run id {prefix!r} is ambiguous: {len(matches)} runs match ({shown}...)")
    return matches[0]
