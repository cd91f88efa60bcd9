"""The directory manifest: the bytes whose BLAKE3 is a data directory's hash.

Format 1 (every manifest whose names hold no line break; all manifests written before):
one line ``<hash> <size> <relative path>\\n`` per file, sorted by path. Lines end with
``\\n`` only: any other character (form feed, U+0085, U+2028, ``\\x1d``, ...) is part of a
name. A name is its bytes as the file system holds them: UTF-8, or the raw bytes of a
name that is not UTF-8 (read back through Python's ``surrogateescape``).

Format 2 (only when some name holds ``\\n`` or ``\\r``): the first line is
``gitops-ml-manifest 2``, then the same rows, with ``\\`` written ``\\\\``, ``\\n`` written
``\\n`` and ``\\r`` written ``\\r`` inside names. Writing format 1 whenever it can keeps
every directory hash recorded so far unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

HEADER_2 = b"gitops-ml-manifest 2"
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


def _escape(name: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in name)


def _unescape(name: str) -> str:
    out: list[str] = []
    chars = iter(name)
    for c in chars:
        if c != "\\":
            out.append(c)
            continue
        nxt = next(chars, "")
        if nxt not in _UNESCAPES:
            raise ValueError(f"bad escape in manifest name {name!r}")
        out.append(_UNESCAPES[nxt])
    return "".join(out)


def encode(rows: Iterable[tuple[str, int, str]]) -> bytes:
    """The manifest of ``(hash, size, name)`` rows, already sorted by name."""
    rows = list(rows)
    if not any("\n" in name or "\r" in name for _, _, name in rows):
        text = "".join(f"{digest} {size} {name}\n" for digest, size, name in rows)
        return text.encode("utf-8", "surrogateescape")
    body = "".join(f"{digest} {size} {_escape(name)}\n" for digest, size, name in rows)
    return HEADER_2 + b"\n" + body.encode("utf-8", "surrogateescape")


def decode(manifest: bytes) -> list[tuple[str, int, str]]:
    """``(hash, size, name)`` rows of a manifest of either format (ValueError if malformed)."""
    lines = manifest.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    escaped = bool(lines) and lines[0] == HEADER_2
    if escaped:
        lines = lines[1:]
    rows = []
    for line in lines:
        digest, size, raw = line.split(b" ", 2)
        name = raw.decode("utf-8", "surrogateescape")
        rows.append((digest.decode("ascii"), int(size), _unescape(name) if escaped else name))
    return rows
