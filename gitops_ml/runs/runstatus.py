"""A run's status and tags, derived from its record and the facts in its notes."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def status(rec: dict[str, Any]) -> str:
    """``ok`` / ``exit N``, then ``verified`` or ``not reproduced`` from the latest verification."""
    code = rec.get("exit_code")
    base = "ok" if code == 0 else f"exit {code}"
    verdicts = [
        f for f in rec.get("notes") or [] if isinstance(f, dict) and f.get("type") == "verify"
    ]
    if verdicts:
        return "verified" if verdicts[-1].get("ok") is True else "not reproduced"
    return base


def tags(rec: dict[str, Any]) -> list[str]:
    """Tags from the record plus those added later through notes (``{"type": "tag"}``),
    minus those removed later (``"remove": true``): see :mod:`gitops_ml.runs.tags`."""
    from gitops_ml.runs.tags import effective

    return effective(rec.get("tags"), [f for f in rec.get("notes") or [] if isinstance(f, dict)])
