"""Repositories written by gitops-ml 0.1 (storage contract v1) are still read.

Their runs carry the environment inline and their base commits hold one notes line per
run; the lines are ignored, the inline environment is used.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli, cli_json, git
from tests.core import v01


def test_v01_runs_are_listed_shown_and_mixed_with_v2(project: Path) -> None:
    old = v01.write_run(project, metrics={"accuracy": 0.8}, name="old")
    assert cli(project, "run", "-n", "new", "--", "true").returncode == 0
    runs = cli_json(project, "runs", "ls", "--json")
    by_name = {r["name"]: r for r in runs}
    assert set(by_name) == {"old", "new"}
    assert by_name["old"]["id"] == old and by_name["old"]["metrics"] == {"accuracy": 0.8}
    # the base-commit line is not a fact of any run
    assert all(f.get("type") != "run" for r in runs for f in r["notes"])
    shown = cli_json(project, "runs", "show", old, "--json")
    assert shown["environment"]["distributions"] == {"numpy": "1.26.4", "pyyaml": "6.0.1"}
    assert shown["schema"] == 1
    # and plain text output works on it too
    proc = cli(project, "runs", "show", old)
    assert proc.returncode == 0 and old in proc.stdout


def test_v01_base_commit_lines_do_not_confuse_link_commit(project: Path) -> None:
    v01.write_run(project)
    assert cli(project, "run", "--", "true").returncode == 0
    new = next(r["id"] for r in cli_json(project, "runs", "ls", "--json") if r["schema"] == 2)
    git(project, "commit", "-q", "--allow-empty", "-m", "same tree as the runs")
    proc = cli(project, "hook", "link-commit")
    assert proc.returncode == 0, proc.stderr
    facts = cli_json(project, "runs", "show", new, "--json")["notes"]
    assert [f["type"] for f in facts] == ["link"]
    head = git(project, "rev-parse", "HEAD").strip()
    lines = git(project, "notes", "--ref=gitops-ml", "show", head).splitlines()
    # both runs share HEAD^'s tree: the 0.1 run is linked too, found by its parent
    assert {json.loads(ln)["type"] for ln in lines} == {"code-of"}
    assert len(lines) == 2
