"""Rendering: terminal tables (rich, imported only here), Markdown tables, value formatting."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def print_json(value: Any) -> None:
    """``--json`` output: indented, keys sorted, anything unusual as text."""
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def fmt(value: Any) -> str:
    """A value as a short cell: floats to 6 significant digits, None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def delta(a: Any, b: Any) -> str:
    """``b - a`` for numbers, with the relative change; '' otherwise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return ""
    if isinstance(a, int | float) and isinstance(b, int | float):
        d = b - a
        rel = f" ({d / abs(a):+.1%})" if a else ""
        return f"{d:+.6g}{rel}"
    return ""


def short_ids(ids: Sequence[str], minimum: int = 10) -> dict[str, str]:
    """The shortest prefix length (>= ``minimum``) that keeps every id unique."""
    length = minimum
    while length < 26 and len({i[:length] for i in ids}) < len(set(ids)):
        length += 1
    return {i: i[:length] for i in ids}


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table for people on stdout (plain columns when stdout is not a terminal)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_edge=False, header_style="bold", box=None, pad_edge=False)
    for h in headers:
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False).print(
        table
    )


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
