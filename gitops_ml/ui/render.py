"""Rendering: terminal tables, Markdown tables, strict JSON, value formatting.

Everything printed for a person goes through :func:`clean`: run names, tags, params and
notes come from records other people pushed, so control characters (terminal escape
sequences, carriage returns, bidirectional overrides) are shown as visible ``\\xNN``
escapes, never sent to the terminal. Tables are plain aligned columns, built in time
linear in the rows shown.

``--json`` output is strict RFC 8259 JSON: a non-finite float (NaN, +/-infinity, which
Python's ``json`` would write as the invalid tokens ``NaN``/``Infinity``) is written as
the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``.

A command whose stdout is its result (JSON, Markdown) runs the commands it starts inside
:func:`stdout_to_stderr`, so their output cannot mix with the result.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shlex
import sys
from collections.abc import Iterator, Sequence

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

# C0 and C1 controls (ESC, CSI, BEL, CR, backspace...), DEL, and the Unicode format
# characters that reorder or hide text (bidi overrides and isolates, zero-width marks).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]"
)
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]"
)


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, *, newlines: bool = False) -> str:
    """``text`` safe for a terminal: control and format characters shown as escapes.

    ``newlines=True`` keeps ``\\n`` (for multi-line blocks we print ourselves).
    """
    return (_UNSAFE_KEEP_NL if newlines else _UNSAFE).sub(_escape, text)


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name as a string."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text (keys sorted; non-finite floats as strings; the rest as text)."""
    try:
        return json.dumps(value, indent=indent, sort_keys=True, default=str, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: rewrite, then encode
        return json.dumps(
            finite(value), indent=indent, sort_keys=True, default=str, allow_nan=False
        )


def print_json(value: Any) -> None:
    """``--json`` output: indented, keys sorted, strict RFC 8259 JSON."""
    sys.stdout.write(dumps(value, indent=2) + "\n")


def fmt(value: Any) -> str:
    """A value as a short cell: floats to 6 significant digits, None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)


def delta(a: Any, b: Any) -> str:
    """``b - a`` for numbers, with the relative change; '' otherwise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return ""
    if isinstance(a, int | float) and isinstance(b, int | float):
        d = b - a
        if not math.isfinite(d):
            return "" if math.isnan(d) else f"{d:+}"
        rel = f" ({d / abs(a):+.1%})" if a and math.isfinite(a) else ""
        return f"{d:+.6g}{rel}"
    return ""


def changed(a: Any, b: Any) -> bool:
    """Whether two recorded values differ (NaN equals NaN here: nothing changed)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return False
    return bool(a != b)


def short_ids(ids: Sequence[str], minimum: int = 10) -> dict[str, str]:
    """The shortest prefix length (>= ``minimum``) that keeps every id unique."""
    length = minimum
    unique = len(set(ids))
    while length < 26 and len({i[:length] for i in ids}) < unique:
        length += 1
    return {i: i[:length] for i in ids}


def shell_command(words: Sequence[str]) -> str:
    """A command line safe to paste into a POSIX shell (every word quoted as needed)."""
    return clean(shlex.join(words))


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 person``, ``2 people``: the count with the right form of the noun."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, max_cell: int | None = None
) -> list[str]:
    """Aligned plain-text columns (two spaces apart), every cell cleaned.

    Linear in the cells: one pass to clean and measure, one to pad. ``max_cell`` cuts
    longer cells with an ellipsis (a terminal); None keeps them whole (a pipe).
    """

    def cell(text: str) -> str:
        text = clean(text)
        if max_cell is not None and len(text) > max_cell:
            return text[: max_cell - 1] + "\u2026"
        return text

    grid = [[cell(h) for h in headers]] + [[cell(c) for c in row] for row in rows]
    widths = [0] * len(headers)
    for line in grid:
        for i, text in enumerate(line):
            widths[i] = max(widths[i], len(text))
    last = len(headers) - 1
    return [
        "  ".join(
            text if i == last else text.ljust(widths[i]) for i, text in enumerate(line)
        ).rstrip()
        for line in grid
    ]


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table for people on stdout: a title line, a header line, one line per row."""
    tty = sys.stdout.isatty()
    lines = table_lines(headers, rows, max_cell=40 if tty else None)
    if tty and lines:
        lines[0] = f"\x1b[1m{lines[0]}\x1b[0m"  # our own escape: the header in bold
    if title:
        lines.insert(0, clean(title))
    sys.stdout.write("\n".join(lines) + "\n")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; pipes escaped, line breaks and control characters neutralised."""

    def esc(cell: str) -> str:
        return clean(cell.replace("|", "\\|").replace("\n", " "))

    lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to fd 1 meanwhile (a child command's output too) to stderr,
    so stdout carries only the result printed after."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
