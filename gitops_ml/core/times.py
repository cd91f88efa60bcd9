"""Timestamps as they appear in records and facts: UTC ISO 8601 with milliseconds (truncated, never rounded up
into the next second)."""

from __future__ import annotations

import time


def utc_iso(ts: float | None = None) -> str:
    """``2026-01-02T03:04:05.678Z`` for ``ts`` (seconds since the epoch; now by default)."""
    if ts is None:
        ts = time.time()
    millis = int(ts * 1000)  # truncated, as a ULID's time part is
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"
    )
