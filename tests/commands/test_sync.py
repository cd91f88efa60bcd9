"""gitops-ml sync: the command's output, remote choice and exit codes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, git, make_project, run_ids


def test_sync_reports_what_moved(project: Path, bare_remote: Path) -> None:
    git(project, "remote", "add", "origin", str(bare_remote))
    assert cli(project, "run", "--", "python", "train.py").returncode == 0
    proc = cli(project, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "gitops-ml sync: origin: 0 runs fetched, 1 pushed; environments pushed\n"
    assert cli(project, "sync").stdout == "gitops-ml sync: origin: already up to date\n"
    assert run_ids(bare_remote) == run_ids(project)


def test_only_remote_is_the_default(project: Path, bare_remote: Path) -> None:
    git(project, "remote", "add", "upstream", str(bare_remote))
    assert cli(project, "sync").stdout.startswith("gitops-ml sync: upstream: ")


def test_remote_choice_errors(tmp_path: Path, bare_remote: Path) -> None:
    repo = make_project(tmp_path / "p")
    proc = cli(repo, "sync")
    assert proc.returncode == 2
    assert proc.stderr == (
        "gitops-ml: error: no git remote configured: add one with 'git remote add origin URL' "
        "or name a URL: gitops-ml sync URL\n"
    )
    git(repo, "remote", "add", "one", str(bare_remote))
    git(repo, "remote", "add", "two", str(bare_remote))
    proc = cli(repo, "sync")
    assert proc.returncode == 2
    assert "several remotes (one, two) and none is 'origin'" in proc.stderr
    proc = cli(repo, "sync", "nowhere")
    assert proc.returncode == 2
    assert (
        "'nowhere' is not a configured remote (one, two), a URL or an existing path" in proc.stderr
    )
    assert cli(repo, "sync", "two").returncode == 0


def test_outside_a_repository(tmp_path: Path) -> None:
    proc = cli(tmp_path, "sync")
    assert proc.returncode == 2
    assert "not a git repository" in proc.stderr
