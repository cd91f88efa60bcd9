"""Messages that never raise: a closed stderr costs nothing but the message."""

from __future__ import annotations

import io
import sys

import pytest

from gitops_ml.runs import console


class _Closed(io.StringIO):
    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_warn_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    console.warn("x happened")
    assert capsys.readouterr().err == "gitops-ml: warning: x happened\n"


def test_a_closed_stderr_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _Closed())
    console.warn("lost")  # does not raise
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    console.say("lost too")  # ValueError on a closed file: not raised either


def test_printable_quotes_control_characters() -> None:
    assert console.printable("a b.txt") == "a b.txt"
    assert console.printable("a\x1bb") == "'a\\x1bb'"
