"""Rendering: values, deltas, short ids, tables that never read markup."""

from __future__ import annotations

import os
import subprocess
import sys

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


def test_clean_escapes_control_and_bidi_characters() -> None:
    assert render.clean("a\x1b[31mb\x07\r\u202ec\u2028") == "a\\x1b[31mb\\x07\\x0d\\u202ec\\u2028"
    assert render.clean("x\ny") == "x\\x0ay" and render.clean("x\ny", newlines=True) == "x\ny"
    assert render.clean("héllo ✓") == "héllo ✓"


def test_strict_json_writes_non_finite_numbers_as_strings() -> None:
    import json

    text = render.dumps({"a": float("nan"), "b": [float("inf"), -float("inf")], "c": 1.5})
    assert json.loads(text) == {"a": "NaN", "b": ["Infinity", "-Infinity"], "c": 1.5}
    assert "NaN," not in text.replace('"NaN"', "")


def test_table_lines_align_and_clean() -> None:
    lines = render.table_lines(["a", "bb"], [["xxx", "\x1b"], ["y", "z"]])
    assert lines == ["a    bb", "xxx  \\x1b", "y    z"]
    assert render.table_lines(["h"], [["x" * 50]], max_cell=10) == ["h", "x" * 9 + "\u2026"]


def test_small_words() -> None:
    assert render.plural(1, "person", "people") == "1 person"
    assert render.plural(2, "person", "people") == "2 people"
    assert render.plural(1_000, "run") == "1,000 runs"
    assert render.shell_command(["gitops-ml", "reproduce", "$(touch x)"]) == (
        "gitops-ml reproduce '$(touch x)'"
    )
    assert render.delta(0.5, 0.5) == "+0 (+0.0%)" and not render.changed(0.5, 0.5)
    assert not render.changed(float("nan"), float("nan")) and render.changed(1, 2)


def test_stdout_to_stderr_moves_a_child_commands_output(capfd: pytest.CaptureFixture[str]) -> None:
    print("before")
    with render.stdout_to_stderr():
        os.write(1, b"written to fd 1\n")
        subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
    print("result")
    out, err = capfd.readouterr()
    assert out == "before\nresult\n"
    assert err == "written to fd 1\nfrom a child\n"
