"""Pushing a chain link with a lease: a remote that refuses it or cannot be pushed to is one
line, exit 3, and nothing is recorded (a lost race is tests/deploy/test_chain.py's)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, git
from tests.deploy.helpers import history, model_project, record


def _published(tmp_path: Path, remote: Path) -> tuple[Path, str]:
    """A project pushed to ``remote`` with one run, synced (nothing left for sync to push)."""
    root = model_project(tmp_path / "p")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    run = record(root, 0.1)
    assert cli(root, "sync").returncode == 0
    return root, run


def test_a_remote_refusing_the_link_is_one_line_exit_3(tmp_path: Path, bare_remote: Path) -> None:
    root, run = _published(tmp_path, bare_remote)
    hook = bare_remote / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\ngrep -q ' refs/deploy/' && exit 1\nexit 0\n")
    hook.chmod(0o755)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"origin ({bare_remote}) refused refs/deploy/production: [remote rejected]" in (
        proc.stderr
    )
    assert "pre-receive hook declined" in proc.stderr
    assert history(root, "production") == []
    assert git(bare_remote, "for-each-ref", "refs/deploy/") == ""


def test_a_remote_that_cannot_be_pushed_to_is_one_line_exit_3(
    tmp_path: Path, bare_remote: Path
) -> None:
    root, run = _published(tmp_path, bare_remote)
    gone = tmp_path / "gone.git"
    git(root, "remote", "set-url", "--push", "origin", str(gone))  # fetches still work
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"cannot push refs/deploy/production to origin ({bare_remote}): fatal: '{gone}'" in (
        proc.stderr
    )
    assert history(root, "production") == []
