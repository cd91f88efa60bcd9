"""ui.progress: when a bar is shown, and that it counts bytes."""

from __future__ import annotations

import io
import sys

import pytest

from gitops_ml.ui import progress


def tty_stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal (patched inside the test: pytest resets it between phases)."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    return fake


def test_auto_mode_needs_a_terminal_and_a_big_transfer(monkeypatch: pytest.MonkeyPatch) -> None:
    tty_stderr(monkeypatch)
    monkeypatch.delenv(progress.ENV_MODE, raising=False)
    monkeypatch.delenv(progress.ENV_MIN_BYTES, raising=False)
    assert progress.wanted(8 * 1024 * 1024)
    assert not progress.wanted(8 * 1024 * 1024 - 1)
    assert not progress.wanted(1 << 40, enabled=False)
    monkeypatch.setenv(progress.ENV_MIN_BYTES, "10")
    assert progress.wanted(10) and not progress.wanted(9)
    monkeypatch.setenv(progress.ENV_MIN_BYTES, "lots")  # unreadable: the default
    assert not progress.wanted(10)


def test_auto_mode_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(progress.ENV_MODE, raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.wanted(1 << 40)


def test_forced_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv(progress.ENV_MODE, "ALWAYS")
    assert progress.wanted(0)
    assert not progress.wanted(0, enabled=False)
    monkeypatch.setenv(progress.ENV_MODE, "never")
    assert not progress.wanted(1 << 40)


def test_bar_counts_bytes_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.ENV_MODE, "always")
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with progress.Transfer("pull", 300) as bar:
        assert bar.show
        task = bar._progress.tasks[0]
        bar.advance(100)
        bar.advance(200)
        assert task.completed == 300 and task.total == 300
        assert task.description == "pull"
    assert bar._progress is None  # stopped


def test_no_bar_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.ENV_MODE, "never")
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with progress.Transfer("push", 10) as bar:
        bar.advance(10)
    assert err.getvalue() == ""
    assert "rich.progress" not in sys.modules or bar._progress is None
