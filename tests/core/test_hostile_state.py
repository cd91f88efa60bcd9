"""Issue 9 items 14-15 and issue 10 items 2, 5, 8, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli, cli_json, git, make_project, run_ids


def _fact(repo: Path) -> None:
    assert cli(repo, "run", "--", "true").returncode == 0
    run_id = run_ids(repo)[0]
    assert cli(repo, "runs", "tag", run_id, "x").returncode == 0


def test_notes_ref_pointing_at_a_blob_stops_before_the_command(project: Path) -> None:
    _fact(project)
    blob = git(project, "hash-object", "-w", "--stdin", input="junk").strip()
    git(project, "update-ref", "refs/notes/gitops-ml", blob)
    marker = project / "ran"
    proc = cli(project, "run", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert proc.returncode == 3, proc.stderr
    assert "refs/notes/gitops-ml is damaged" in proc.stderr and "Traceback" not in proc.stderr
    assert not marker.exists()  # checked before the command ran
    assert git(project, "rev-parse", "refs/notes/gitops-ml").strip() == blob  # never overwritten
    assert len(run_ids(project)) == 1


def test_missing_notes_tree_is_refused_not_dropped(project: Path) -> None:
    _fact(project)
    notes = git(project, "rev-parse", "refs/notes/gitops-ml").strip()
    tree = git(project, "rev-parse", "refs/notes/gitops-ml^{tree}").strip()
    loose = project / ".git" / "objects" / tree[:2] / tree[2:]
    assert loose.exists()  # gitops-ml writes its objects loose
    loose.unlink()
    tagged = cli(project, "runs", "tag", run_ids(project)[0], "y")
    assert tagged.returncode == 3 and "is damaged" in tagged.stderr
    assert git(project, "rev-parse", "refs/notes/gitops-ml").strip() == notes
    ran = cli(project, "run", "--", "true")
    assert ran.returncode == 3 and "tree" in ran.stderr


def test_sha256_repository_records_runs_fsck_clean(tmp_path: Path) -> None:
    repo = tmp_path / "sha256"
    repo.mkdir()
    proc = subprocess.run(
        ["git", "init", "-q", "--object-format=sha256", str(repo)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip("this git cannot make SHA-256 repositories")
    make_project(repo)
    assert cli(repo, "run", "--", "true").returncode == 0
    run_id = run_ids(repo)[0]
    assert cli(repo, "runs", "tag", run_id, "sha").returncode == 0
    assert cli(repo, "runs", "compact").returncode == 0
    assert git(repo, "fsck", "--strict", "--no-dangling").strip() == ""
    shown = cli_json(repo, "runs", "show", run_id, "--json")
    assert "sha" in shown["tags"] and len(shown["git"]["snapshot"]) == 64


def test_run_refs_that_are_not_run_ids_are_ignored(project: Path, bare_remote: Path) -> None:
    assert cli(project, "run", "--", "true").returncode == 0
    good = run_ids(project)[0]
    commit = git(project, "rev-parse", f"refs/runs/{good}").strip()
    git(project, "update-ref", "refs/runs/notanid", commit)
    listed = cli(project, "runs", "ls", "--json")
    assert listed.returncode == 0
    assert [r["id"] for r in json.loads(listed.stdout)] == [good]
    assert "ignoring 'refs/runs/notanid': not a run id" in listed.stderr
    # from a remote: not fetched, a warning
    git(project, "push", "-q", str(bare_remote), "refs/runs/notanid:refs/runs/$(touch${IFS}pwned)")
    other = make_project(project.parent / "other")
    proc = cli(other, "sync", str(bare_remote))
    assert proc.returncode == 0, proc.stderr
    assert not (other / "pwned").exists()
    assert "refs/runs/$(touch${IFS}pwned)" in proc.stderr and "not a run id" in proc.stderr
    assert git(other, "for-each-ref", "refs/runs/") == ""


def test_forged_remote_environments_and_notes_are_refused(project: Path, bare_remote: Path) -> None:
    git(project, "remote", "add", "origin", str(bare_remote))
    assert cli(project, "run", "--", "true").returncode == 0
    assert cli(project, "sync").returncode == 0
    envs_before = git(project, "rev-parse", "refs/gitops-ml/environments").strip()
    # the remote's environments: a file whose name is not the hash of its content
    evil = make_project(project.parent / "evil")
    blob = git(evil, "hash-object", "-w", "--stdin", input='{"python":"x"}').strip()
    name = "ab" * 32 + ".json"
    tree = git(evil, "mktree", input=f"100644 blob {blob}\t{name}\n").strip()
    forged = git(evil, "commit-tree", tree, "-m", "forged").strip()
    git(evil, "push", "-q", "--force", str(bare_remote), f"{forged}:refs/gitops-ml/environments")
    # and notes holding a line that is not JSON
    line_blob = git(evil, "hash-object", "-w", "--stdin", input="$(rm -rf /)\n").strip()
    target = "cd" * 20
    ntree = git(evil, "mktree", input=f"100644 blob {line_blob}\t{target}\n").strip()
    nforged = git(evil, "commit-tree", ntree, "-m", "notes").strip()
    git(evil, "push", "-q", "--force", str(bare_remote), f"{nforged}:refs/notes/gitops-ml")
    proc = cli(project, "sync")
    assert proc.returncode == 1, proc.stderr
    assert "refused the remote's refs/gitops-ml/environments" in proc.stderr
    assert "refused the remote's refs/notes/gitops-ml" in proc.stderr
    assert git(project, "rev-parse", "refs/gitops-ml/environments").strip() == envs_before
    assert git(project, "notes", "--ref=gitops-ml", "list", target, check=False) == ""
    # and the forged tips on the remote were not overwritten either
    assert git(bare_remote, "rev-parse", "refs/gitops-ml/environments").strip() == forged


def test_tokens_in_remote_urls_never_shown(project: Path) -> None:
    url = "http://user:s3cr3t-T0KEN@127.0.0.1:9/repo.git"
    git(project, "remote", "add", "origin", url)
    assert cli(project, "run", "--", "true").returncode == 0
    proc = cli(project, "sync")
    assert proc.returncode == 3
    assert "s3cr3t-T0KEN" not in proc.stderr + proc.stdout and "***@" in proc.stderr
    hook = cli(project, "hook", "gitops-ml-push-runs", "origin", url)
    assert hook.returncode == 0
    assert "s3cr3t-T0KEN" not in hook.stderr + hook.stdout and "***" in hook.stderr
    url_sync = cli(project, "sync", url)
    assert "s3cr3t-T0KEN" not in url_sync.stderr + url_sync.stdout
    assert "run 'gitops-ml sync http://***@" not in url_sync.stderr or "***" in url_sync.stderr
