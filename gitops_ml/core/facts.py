"""Notes facts: the JSON lines under ``refs/notes/gitops-ml`` (one object a line).

A line that is not a JSON object (a merge artefact, a hand edit) is skipped, never fatal:
the notes are append-only and merged by ``cat_sort_uniq``, so readers must be lenient.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing costs ~2-7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def parse_facts(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The JSON objects among ``lines``, in order; blank and malformed lines skipped."""
    facts: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            facts.append(item)
    return facts
