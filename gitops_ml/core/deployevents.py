"""Deploy events: the JSON each chain link carries, and what a chain says.

A link's message is ``deploy <env>: <run>`` (or ``rollback ...``), a blank line, then one
JSON object (schema 1)::

    {"schema": 1, "action": "deploy" | "rollback", "environment": "production",
     "run": "<run id>", "run_commit": "<sha>", "name": "<run name>",
     "models": [{"path": ..., "hash": ..., "size": ...}],
     "by": {"name": ..., "email": ...}, "at": "<ISO 8601 UTC>", "why": "...",
     "target": {"kind": "none" | "command" | "kubernetes" | ..., "ok": true, ...},
     "forced": false, "force_reason": null, "verification": {...} | null,
     "previous": "<run id in service before>" | null, "ci": {...} | null}

``deployed`` is the newest event whose target succeeded; a rollback undoes the newest
successful deploy that is not undone yet (a stack: deploy pushes, rollback pops).
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

SCHEMA = 1


def message(event: dict[str, Any]) -> str:
    """The commit message of a chain link holding ``event``."""
    summary = f"{event['action']} {event['environment']}: {event['run']}"
    if event.get("name"):
        summary += f" ({event['name']})"
    body = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return f"{summary}\n\n{body}\n"


def parse(commit: str, text: str) -> dict[str, Any]:
    """The event of one chain link (a link written by hand: at least its summary)."""
    _, _, body = text.partition("\n\n")
    event: dict[str, Any] = {}
    start = body.find("{")
    if start >= 0:
        try:
            loaded = json.loads(body[start:].strip())
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            event = loaded
    event.setdefault("action", "deploy")
    event.setdefault("target", {"kind": "unknown", "ok": True})
    event["commit"] = commit
    event["summary"] = text.split("\n", 1)[0]
    return event


def ok(event: dict[str, Any]) -> bool:
    """True when the event put its run in service (its target succeeded)."""
    return bool((event.get("target") or {}).get("ok", False)) and bool(event.get("run"))


def stack(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The successful deploys still in effect, oldest first; the last one is in service."""
    out: list[dict[str, Any]] = []
    for ev in events:
        if not ok(ev):
            continue
        if ev.get("action") == "rollback":
            if out:
                out.pop()
            # A rollback names the run it brought back: make sure the stack agrees.
            if not out or out[-1].get("run") != ev.get("run"):
                out.append(ev)
            else:
                out[-1] = {**out[-1], "restored_by": ev}
        else:
            out.append(ev)
    return out


def in_service(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The event that put the current run in service (None: nothing is)."""
    st = stack(events)
    if not st:
        return None
    top = st[-1]
    return top.get("restored_by") or top


def rollback_target(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The deploy a rollback brings back: the one below the top of the stack."""
    st = stack(events)
    return st[-2] if len(st) >= 2 else None
