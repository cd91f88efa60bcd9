"""The run record: a versioned JSON document stored in the run commit's message.

Schema version 1 (documented in README, "Run record"). Top-level keys: ``schema``, ``id``,
``name``, ``command``, ``cwd``, ``exit_code``, ``started``, ``ended``, ``duration``,
``user``, ``host``, ``git``, ``params``, ``metrics``, ``data``, ``outputs``, ``artifacts``,
``environment``, ``seeds``, ``tags``, ``isolated``, ``reproduces``, ``skipped``.
"""

from __future__ import annotations

import json

from gitops_ml.core.errors import GitopsError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
KEYS = (
    "schema",
    "id",
    "name",
    "command",
    "cwd",
    "exit_code",
    "started",
    "ended",
    "duration",
    "user",
    "host",
    "git",
    "params",
    "metrics",
    "data",
    "outputs",
    "artifacts",
    "environment",
    "seeds",
    "tags",
    "isolated",
    "reproduces",
    "skipped",
)


class CorruptRecord(GitopsError):
    def __init__(self, run_id: str, why: str) -> None:
        super().__init__(f"run {run_id}: record is unreadable ({why})", 3)


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def message(record: dict[str, Any]) -> str:
    """The commit message of a run commit: a header line, a blank line, the JSON."""
    summary = f"gitops-ml run {record['id']}"
    if record.get("name"):
        summary += f": {record['name']}"
    return f"{summary}\n\n{dumps(record)}\n"


def loads(run_id: str, text: str | None, commit: str | None = None) -> dict[str, Any]:
    """Parse a stored record, adding the snapshot commit id; a damaged one raises."""
    if text is None:
        raise CorruptRecord(run_id, "its commit is missing")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptRecord(run_id, f"not JSON: {exc.msg}") from None
    if not isinstance(record, dict) or record.get("id") != run_id:
        raise CorruptRecord(run_id, "not a gitops-ml run record")
    if int(record.get("schema", 0)) > SCHEMA_VERSION:
        record.setdefault("warnings", []).append(
            "written by a newer gitops-ml; some fields may be unknown"
        )
    if commit:
        record.setdefault("git", {})["snapshot"] = commit
    return record


_DISTS = '"environment":{"distributions":{'


def cut_distributions(text: str) -> tuple[str, int | None]:
    """The record text without its distribution list, and how many it had.

    Done on the text (the list is most of a record's bytes, and records are written with
    sorted keys, so it opens the environment object), so reading 10,000 records for the
    query index does not parse 10,000 lists; None when the text is not in that form.
    """
    start = text.find(_DISTS)
    if start < 0:
        return text, None
    body = start + len(_DISTS)
    end = text.find("}", body)
    if end < 0 or "{" in text[body:end]:
        return text, None
    count = text.count('":"', body, end)
    rest = text[end + 1 :]
    if rest.startswith(","):
        rest = rest[1:]
    return text[: start + len('"environment":{')] + rest, count


def slim(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the bulky distribution list (kept in the local query index)."""
    out = dict(record)
    env = dict(out.get("environment") or {})
    dists = env.pop("distributions", None)
    if dists is not None:
        env["distributions_count"] = len(dists)
    out["environment"] = env
    return out
