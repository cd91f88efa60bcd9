"""gitops_ml.core.manifest: a directory's manifest, format 1 and 2, any name round-trips."""

from __future__ import annotations

import pytest

from gitops_ml.core import manifest

D = "ab" * 32


def test_format_1_is_what_it_always_was() -> None:
    rows = [(D, 3, "a b.txt"), (D, 0, "sub/\u2028\x0c\x1d\x85.csv")]
    blob = manifest.encode(rows)
    assert blob == f"{D} 3 a b.txt\n{D} 0 sub/\u2028\x0c\x1d\x85.csv\n".encode()
    assert manifest.decode(blob) == rows


def test_format_2_only_for_line_breaks_and_escapes_unambiguously() -> None:
    rows = [(D, 1, "a\nb"), (D, 2, "back\\slash\r"), (D, 3, "n\\n")]
    blob = manifest.encode(rows)
    assert blob.startswith(manifest.HEADER_2 + b"\n") and blob.count(b"\n") == 4
    assert manifest.decode(blob) == rows


def test_non_utf8_names_round_trip_as_their_bytes() -> None:
    name = b"latin1-\xe9.csv".decode("utf-8", "surrogateescape")
    blob = manifest.encode([(D, 5, name)])
    assert b"latin1-\xe9.csv" in blob
    assert manifest.decode(blob) == [(D, 5, name)]


@pytest.mark.parametrize("blob", [b"x\n", b"abc 1\n", D.encode() + b" nan x\n"])
def test_malformed_is_a_value_error(blob: bytes) -> None:
    with pytest.raises(ValueError):
        manifest.decode(blob)
    with pytest.raises(ValueError):
        manifest.decode(manifest.HEADER_2 + b"\n" + D.encode() + b" 1 bad\\q\n")
