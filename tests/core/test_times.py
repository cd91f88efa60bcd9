"""core.times: one ISO 8601 format for every timestamp written."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from gitops_ml.core.times import utc_iso


def test_known_instant() -> None:
    assert utc_iso(0) == "1970-01-01T00:00:00.000Z"
    assert utc_iso(1767323045.678) == "2026-01-02T03:04:05.678Z"


def test_milliseconds_truncate_like_the_old_helpers() -> None:
    assert utc_iso(59.9996) == "1970-01-01T00:00:59.999Z"


def test_now_parses_back_close_to_now() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    got = utc_iso()
    after = datetime.now(timezone.utc)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got)
    parsed = datetime.fromisoformat(got.replace("Z", "+00:00"))
    assert before <= parsed <= after  # bracketed by the clock, no time budget
