"""Run ids: ULIDs (time-sortable, unique without coordination); any unique prefix resolves."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_ml.errors import UsageError

_CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def new_id() -> str:
    from ulid import ULID

    return str(ULID())


def normalize(prefix: str) -> str:
    return prefix.strip().upper()


def resolve(prefix: str, ids: Iterable[str]) -> str:
    """The one id starting with ``prefix`` (case-insensitive), or a clear usage error."""
    want = normalize(prefix)
    if not want or not set(want) <= _CROCKFORD:
        raise UsageError(f"{prefix!r} is not a run id (26 characters of 0-9 and A-Z, or a prefix)")
    matches = [i for i in ids if i.startswith(want)]
    if not matches:
        raise UsageError(f"no run matches {prefix!r} (see 'gitops-ml runs ls'; 'gitops-ml sync' fetches others' runs)")
    if len(matches) > 1:
        shown = ", ".join(sorted(matches)[:5])
        raise UsageError(f"run id {prefix!r} is ambiguous: {len(matches)} runs match ({shown}...)")
    return matches[0]
