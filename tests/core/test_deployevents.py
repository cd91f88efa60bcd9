"""The deploy chain read as a stack: deploy pushes, rollback pops, a failed target is inert."""

from __future__ import annotations

from typing import Any

from gitops_ml.core import deployevents


def _ev(action: str, run: str, ok: bool = True) -> dict[str, Any]:
    event = {"action": action, "environment": "prod", "run": run, "target": {"ok": ok}}
    return deployevents.parse(f"c-{action}-{run}", deployevents.message(event))


def test_message_and_parse_round_trip() -> None:
    event = {"action": "deploy", "environment": "prod", "run": "R1", "name": "best", "target": {}}
    text = deployevents.message(event)
    assert text.startswith("deploy prod: R1 (best)\n\n{")
    parsed = deployevents.parse("abc", text)
    assert parsed["run"] == "R1" and parsed["commit"] == "abc"
    assert parsed["summary"] == "deploy prod: R1 (best)"


def test_a_link_written_by_hand_keeps_its_summary() -> None:
    parsed = deployevents.parse("abc", "shipped it by hand\n\nnot json {")
    assert parsed["summary"] == "shipped it by hand"
    assert parsed["action"] == "deploy" and "run" not in parsed
    assert not deployevents.ok(parsed)  # names no run: puts nothing in service


def test_failed_targets_are_skipped_and_rollback_pops() -> None:
    chain = [_ev("deploy", "A"), _ev("deploy", "B"), _ev("deploy", "C", ok=False)]
    assert deployevents.in_service(chain)["run"] == "B"
    assert deployevents.rollback_target(chain)["run"] == "A"
    chain.append(_ev("rollback", "A"))
    current = deployevents.in_service(chain)
    assert current["run"] == "A" and current["action"] == "rollback"
    assert deployevents.rollback_target(chain) is None


def test_a_rollback_naming_another_run_is_believed() -> None:
    chain = [_ev("deploy", "A"), _ev("deploy", "B"), _ev("rollback", "Z")]
    assert deployevents.in_service(chain)["run"] == "Z"
    assert deployevents.in_service([]) is None
    assert deployevents.in_service([_ev("deploy", "A", ok=False)]) is None
