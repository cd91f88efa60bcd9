"""One validator for the hex names this tool handles: BLAKE3 content hashes (64 hex
digits), git object ids (40 for SHA-1, 64 for SHA-256 repositories), environment
fingerprints, and abbreviated prefixes of any of them.

Lower-case hex only, matched in full (a ``re.match`` with ``$`` would accept a trailing
newline, which then becomes part of a path).
"""

from __future__ import annotations

from gitops_ml.core.errors import UsageError

_HEX = frozenset("0123456789abcdef")

BLAKE3_LEN = 64
GIT_OID_LENS = (40, 64)
MIN_PREFIX = 8


def is_hex(value: object, low: int = MIN_PREFIX, high: int = BLAKE3_LEN) -> bool:
    """``value`` is a ``str`` of ``low`` to ``high`` lower-case hex digits."""
    return isinstance(value, str) and low <= len(value) <= high and _HEX.issuperset(value)


def is_blake3(value: object) -> bool:
    """A full BLAKE3 content hash (64 lower-case hex digits)."""
    return is_hex(value, BLAKE3_LEN, BLAKE3_LEN)


def is_git_oid(value: object) -> bool:
    """A full git object id (SHA-1 or SHA-256)."""
    return isinstance(value, str) and len(value) in GIT_OID_LENS and is_hex(value, 40, 64)


def is_prefix(value: object) -> bool:
    """An abbreviated hash: 8 to 64 lower-case hex digits."""
    return is_hex(value, MIN_PREFIX, BLAKE3_LEN)


def check_blake3(value: object, what: str = "content hash") -> str:
    """``value`` when it is a full BLAKE3 hash, else a usage error naming ``what``."""
    if not is_blake3(value):
        raise UsageError(f"{value!r} is not a {what} (64 lower-case hex digits)")
    assert isinstance(value, str)
    return value
