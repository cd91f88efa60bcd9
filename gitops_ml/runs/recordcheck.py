"""The shape a run record must have before anything reads it.

Records arrive from other people's clones through ``sync``: a record whose fields have
the wrong kinds (``"schema": "2.0"``, ``"git": "x"``, ``"params": [1]``) is skipped by
listings with one warning naming it, instead of breaking every command of the clone.
Only kinds are checked (cheap, and nothing a newer gitops-ml adds is refused).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _version(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _object(v: Any) -> bool:
    return v is None or isinstance(v, dict)


def _text(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _list_of(kind: type) -> Callable[[Any], bool]:
    return lambda v: v is None or (isinstance(v, list) and all(isinstance(i, kind) for i in v))


def _whole(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def _number(v: Any) -> bool:
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool))


# (key, required, check, what it must be)
_RULES: list[tuple[str, bool, Callable[[Any], bool], str]] = [
    ("schema", True, _version, "a version number"),
    ("git", False, lambda v: isinstance(v, dict), "an object"),  # absent: filled in on read
    *[
        (k, False, _object, "an object")
        for k in ("params", "metrics", "user", "environment", "seeds")
    ],
    *[
        (k, False, _list_of(dict), "a list of objects")
        for k in ("data", "outputs", "artifacts", "skipped")
    ],
    *[(k, False, _text, "text") for k in ("name", "started", "ended", "host", "cwd", "reproduces")],
    *[(k, False, _list_of(str), "a list of text") for k in ("tags", "command")],
    ("exit_code", False, _whole, "a whole number"),
    ("duration", False, _number, "a number"),
]


def problem(run_id: str, rec: Any) -> str | None:
    """Why ``rec`` cannot be read as run ``run_id``'s record, or None if it can."""
    if not isinstance(rec, dict):
        return f"not a JSON object but {_kind(rec)}"
    if rec.get("id") != run_id:
        return "its id does not match its ref"
    for key, required, ok, what in _RULES:
        if (key in rec or required) and not ok(rec.get(key)):
            value = rec.get(key)
            if isinstance(value, list) and what.startswith("a list"):
                return f"'{key}' is not {what}"
            return f"'{key}' is {_kind(value)}, not {what}"
    return None
