"""core.digests: one validator for content hashes, git ids and prefixes."""

from __future__ import annotations

import pytest

from gitops_ml.core import digests
from gitops_ml.core.errors import USAGE, UsageError

B3 = "ab" * 32
SHA1 = "cd" * 20


@pytest.mark.parametrize(
    ("value", "blake3", "oid", "prefix"),
    [
        (B3, True, True, True),  # 64 hex is also a SHA-256 object id
        (SHA1, False, True, True),
        ("deadbeef", False, False, True),
        ("deadbee", False, False, False),  # too short for a prefix
        (B3 + "\n", False, False, False),  # a trailing newline is not hex
        (B3.upper(), False, False, False),
        ("g" * 64, False, False, False),
        ("ab" * 33, False, False, False),
        (None, False, False, False),
        (64, False, False, False),
    ],
)
def test_validators(value: object, blake3: bool, oid: bool, prefix: bool) -> None:
    assert digests.is_blake3(value) is blake3
    assert digests.is_git_oid(value) is oid
    assert digests.is_prefix(value) is prefix


def test_check_blake3() -> None:
    assert digests.check_blake3(B3) == B3
    with pytest.raises(UsageError, match="is not a data hash") as info:
        digests.check_blake3("../../etc/passwd", "data hash")
    assert info.value.code == USAGE
