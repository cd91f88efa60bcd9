"""hooks._network: the network hooks' bounded sync that warns instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import gitstore
from gitops_ml.hooks import _network
from gitops_ml.sync import gitsync
from tests.conftest import cli, git


def test_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITOPS_ML_HOOK_TIMEOUT", raising=False)
    assert _network.timeout() == _network.DEFAULT_TIMEOUT
    monkeypatch.setenv("GITOPS_ML_HOOK_TIMEOUT", "2.5")
    assert _network.timeout() == 2.5
    monkeypatch.setenv("GITOPS_ML_HOOK_TIMEOUT", "soon")
    assert _network.timeout() == _network.DEFAULT_TIMEOUT


def test_unreachable_remote_is_a_warning_and_exit_0(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project)
    repo = gitstore.open_repo(project)
    git(project, "remote", "add", "origin", str(tmp_path / "missing.git"))
    target = gitsync.resolve(repo, "origin")
    assert _network.sync_or_warn("gitops-ml-push-runs", repo, target, push=True) == 0
    err = capsys.readouterr().err
    assert err.startswith("gitops-ml-push-runs: warning: ")
    assert "runs and notes were not pushed (run 'gitops-ml sync' later)" in err
    assert err.count("\n") == 1


def test_sync_reports_what_moved(
    project: Path,
    bare_remote: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(project, "run", "--", "python", "train.py").returncode == 0
    git(project, "remote", "add", "origin", str(bare_remote))
    monkeypatch.chdir(project)
    repo = gitstore.open_repo(project)
    target = gitsync.resolve(repo, "origin")
    assert _network.sync_or_warn("gitops-ml-push-runs", repo, target, push=True) == 0
    first = capsys.readouterr().err
    assert first.startswith("gitops-ml-push-runs: ") and "warning" not in first
    assert git(bare_remote, "for-each-ref", "refs/runs/").strip()
    # nothing new: silent
    assert _network.sync_or_warn("gitops-ml-fetch-runs", repo, target, push=False) == 0
    assert capsys.readouterr().err == ""
