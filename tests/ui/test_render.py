"""Rendering: values, deltas, short ids, tables that never read markup."""

from __future__ import annotations

import pytest

from gitops_ml.ui import render


def test_values_and_deltas() -> None:
    assert (
        render.fmt(None) == "-"
        and render.fmt(True) == "true"
        and render.fmt(0.1234567) == "0.123457"
    )
    assert render.delta(0.5, 0.75) == "+0.25 (+50.0%)"
    assert render.delta("a", "b") == "" and render.delta(True, False) == ""


def test_short_ids_stay_unique() -> None:
    ids = ["01AAAAAAAAAAX", "01AAAAAAAAAAY", "01BBBBBBBBBBZ"]
    short = render.short_ids(ids)
    assert len(set(short.values())) == 3 and all(ids[i].startswith(short[ids[i]]) for i in range(3))


def test_tables_print_brackets_literally(capsys: pytest.CaptureFixture[str]) -> None:
    render.print_table(None, ["name"], [["[bold]x[/bold]"], ["data/[1]"]])
    out = capsys.readouterr().out
    assert "[bold]x[/bold]" in out and "data/[1]" in out


def test_markdown_escapes_pipes() -> None:
    assert render.md_table(["a"], [["x|y"]]).splitlines()[-1] == "| x\\|y |"
