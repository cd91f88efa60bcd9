"""`gitops-ml deploy history ENV`: the table of every deploy and rollback, newest first."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli, git
from tests.deploy.helpers import history, model_project, record

SHIP = "deploy:\n  staging:\n    target: command\n    command: [python, ship.py]\n"


def _rows(stdout: str) -> list[list[str]]:
    """The table's rows (title and header dropped), split on whitespace; the mark column
    is "*" or "" (a blank cell, which splitting would drop)."""
    lines = stdout.strip().splitlines()
    assert lines[0] == "deploy history of staging (* in service)"
    assert lines[1].split() == ["when", "action", "run", "by", "target", "why", "event"]
    rows = [line.split() for line in lines[2:]]
    return [row if row[0] == "*" else ["", *row] for row in rows]


def test_history_table_marks_the_run_in_service_failures_and_forces(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", SHIP)
    (root / "ship.py").write_text(
        "import pathlib\nraise SystemExit(pathlib.Path('fail').exists())\n"
    )
    good = record(root, 0.1, "-n", "first")
    failed = record(root, 0.2, "-p", "+exit=3")
    other = record(root, 0.3)
    assert cli(root, "deploy", "staging", good, "--why", "first").returncode == 0
    proc = cli(root, "deploy", "staging", failed, "--force", "--why", "debug")
    assert proc.returncode == 0, proc.stderr
    assert cli(root, "rollback", "staging").returncode == 0
    (root / "fail").write_text("")
    assert cli(root, "deploy", "staging", other).returncode == 1
    proc = cli(root, "deploy", "history", "staging")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(proc.stdout)
    events = history(root, "staging")
    assert len(rows) == len(events) == 4
    # newest first; columns: [*], when, action, run, by, kind, result [forced], [why], event
    failed_row, rollback_row, forced_row, first_row = rows
    assert failed_row == [
        "",
        events[0]["at"],
        "deploy",
        other,
        "author@example.com",
        "command",
        "FAILED",
        events[0]["commit"][:12],
    ]
    assert rollback_row[0] == "*" and rollback_row[2:4] == ["rollback", good]
    assert rollback_row[-1] == events[1]["commit"][:12]
    assert forced_row[0] == "" and forced_row[2:] == [
        "deploy",
        failed,
        "author@example.com",
        "command",
        "ok",
        "forced",
        "debug",
        events[2]["commit"][:12],
    ]
    # one mark only: the event that put the current run in service (the rollback)
    assert first_row[0] == "" and first_row[2:4] == ["deploy", good]
    assert first_row[-2:] == ["first", events[3]["commit"][:12]]
    # --limit keeps the newest N, in the table and in JSON
    proc = cli(root, "deploy", "history", "staging", "--limit", "1")
    assert [r[3] for r in _rows(proc.stdout)] == [other]
    proc = cli(root, "deploy", "history", "staging", "--limit", "2", "--json")
    assert [e["run"] for e in json.loads(proc.stdout)] == [other, good]


def test_no_history_yet_and_a_bad_name(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p")
    proc = cli(root, "deploy", "history", "staging")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no deploys to staging yet\n"
    assert json.loads(cli(root, "deploy", "history", "staging", "--json").stdout) == []
    proc = cli(root, "deploy", "history", "a b")
    assert proc.returncode == 2
    assert "'a b' is not an environment name" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_hand_written_link_is_shown_and_never_put_in_service(tmp_path: Path) -> None:
    """A link someone committed by hand, whose body is not an event: history still reads
    the chain, and the run before it stays in service."""
    root = model_project(tmp_path / "p")
    run = record(root, 0.1)
    assert cli(root, "deploy", "staging", run).returncode == 0
    tip = git(root, "rev-parse", "refs/deploy/staging").strip()
    empty = git(root, "hash-object", "-t", "tree", "--stdin", "-w", input="").strip()
    link = git(
        root, "commit-tree", empty, "-p", tip, "-m", "deploy staging: by hand", "-m", "{not json"
    ).strip()
    git(root, "update-ref", "refs/deploy/staging", link, tip)
    events = history(root, "staging")
    assert [e["commit"] for e in events] == [link, tip]
    assert events[0]["summary"] == "deploy staging: by hand"
    assert events[0]["target"] == {"kind": "unknown", "ok": True}
    rows = _rows(cli(root, "deploy", "history", "staging").stdout)
    assert rows[0][0] == "" and rows[0][-1] == link[:12]
    assert rows[1][0] == "*" and rows[1][3] == run
    proc = cli(root, "deployed", "staging", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["run"] == run
