"""Run ids: ULIDs that sort by time; prefixes resolve case-insensitively."""

from __future__ import annotations

import time

import pytest
from ulid import ULID

from gitops_ml.core import ids
from gitops_ml.core.errors import UsageError


def test_new_ids_are_valid_ulids_sorted_by_time() -> None:
    first = ids.new_id()
    time.sleep(0.002)
    second = ids.new_id()
    assert len(first) == 26 and first < second
    assert abs(ULID.from_str(first).timestamp - time.time()) < 5
    assert len({ids.new_id() for _ in range(1000)}) == 1000


def test_resolve() -> None:
    known = [
        "01AAAA0000000000000000000A",
        "01AAAA0000000000000000000B",
        "01BBBB00000000000000000000",
    ]
    assert ids.resolve("01bb", known) == known[2]
    with pytest.raises(UsageError, match="ambiguous"):
        ids.resolve("01AAAA", known)
    with pytest.raises(UsageError, match="no run matches"):
        ids.resolve("01CC", known)
    with pytest.raises(UsageError, match="not a run id"):
        ids.resolve("../etc", known)


def test_started_ms_reads_the_time_an_id_begins_with() -> None:
    before = time.time_ns() // 1_000_000
    run_id = ids.new_id()
    after = time.time_ns() // 1_000_000
    started = ids.started_ms(run_id)
    assert started is not None and before <= started <= after
    assert ids.started_ms("0" * 26) == 0
    assert ids.started_ms(run_id[:25]) is None  # not 26 characters
    assert ids.started_ms("U" + run_id[1:]) is None  # U is not Crockford base32
