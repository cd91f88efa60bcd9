"""Every failure is one line and a documented exit code; tracebacks go to a log file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.errors import EnvironmentProblem, UsageError
from gitops_ml.ui.error_handler import handle_errors, log_path


def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with handle_errors() as outcome:
        raise UsageError("bad flag")
    assert outcome.code == 2
    assert capsys.readouterr().err == "gitops-ml: error: bad flag\n"
    with handle_errors() as outcome:
        raise EnvironmentProblem("remote down")
    assert outcome.code == 3


def test_unexpected_errors_log_the_traceback_not_the_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with handle_errors() as outcome:
        raise ZeroDivisionError("boom")
    err = capsys.readouterr().err
    assert outcome.code == 3
    assert err.count("\n") == 1 and "Traceback" not in err and "boom" in err
    assert log_path() == tmp_path / "gitops-ml" / "gitops-ml.log"
    assert "Traceback" in log_path().read_text() and "ZeroDivisionError" in log_path().read_text()


def test_interrupt_is_130(capsys: pytest.CaptureFixture[str]) -> None:
    with handle_errors() as outcome:
        raise KeyboardInterrupt
    assert outcome.code == 130


def test_unwritable_log_still_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with handle_errors() as outcome:
        raise ValueError("odd")
    err = capsys.readouterr().err
    assert outcome.code == 3
    assert err == "gitops-ml: unexpected error: ValueError: odd\n"  # no "(details in ...)"


def test_closed_stdout_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    before = sys.stdout
    try:
        with handle_errors() as outcome:
            raise BrokenPipeError
        assert outcome.code == 0
        assert sys.stdout is not before  # later writes go nowhere instead of failing again
        print("dropped")
    finally:
        if sys.stdout is not before:
            sys.stdout.close()
        sys.stdout = before
    assert capsys.readouterr() == ("", "")
