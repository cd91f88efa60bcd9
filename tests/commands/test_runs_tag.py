"""``gitops-ml runs tag``: tag facts in the notes, shown, queried, removed, synced."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, cli_json, git


def _one(project: Path) -> str:
    assert cli(project, "run", "-t", "first", "--", "true").returncode == 0
    (run,) = cli_json(project, "runs", "ls", "--json")
    return str(run["id"])


def test_tag_untag_show_and_where(project: Path) -> None:
    run_id = _one(project)
    proc = cli(project, "runs", "tag", run_id[:8], "best", "keep")
    assert proc.returncode == 0, proc.stderr
    shown = cli_json(project, "runs", "show", run_id, "--json")
    assert set(shown["tags"]) == {"first", "best", "keep"}
    hits = cli_json(project, "runs", "ls", "--json", "--where", "'best' in tags")
    assert [r["id"] for r in hits] == [run_id]
    assert cli(project, "runs", "tag", run_id, "best", "first", "--remove").returncode == 0
    shown = cli_json(project, "runs", "show", run_id, "--json")
    assert shown["tags"] == ["keep"]
    assert cli_json(project, "runs", "ls", "--json", "--where", "'best' in tags") == []
    # the record is immutable: the facts are notes on the run commit, fanned out
    commit = git(project, "rev-parse", f"refs/runs/{run_id}").strip()
    names = git(project, "ls-tree", "-r", "--name-only", "refs/notes/gitops-ml").split()
    assert names == [f"{commit[:2]}/{commit[2:]}"]


def test_bad_tags_and_runs_are_usage_errors(project: Path) -> None:
    run_id = _one(project)
    for bad in ("", " x", "a\x1b[31mb", "x" * 101):
        proc = cli(project, "runs", "tag", run_id, bad)
        assert proc.returncode == 2 and "is not a tag" in proc.stderr, bad
    proc = cli(project, "runs", "tag", "ZZZZ", "x")
    assert proc.returncode == 2 and "no run matches" in proc.stderr
    assert git(project, "for-each-ref", "refs/notes/") == ""


def test_tags_from_two_clones_meet_through_sync(tmp_path: Path, project: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    run_id = _one(project)
    assert cli(project, "sync").returncode == 0
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    assert cli(other, "sync").returncode == 0
    assert cli(project, "runs", "tag", run_id, "from-a").returncode == 0
    assert cli(other, "runs", "tag", run_id, "from-b").returncode == 0
    for repo in (project, other, project):
        assert cli(repo, "sync").returncode == 0
    for repo in (project, other):
        tags = cli_json(repo, "runs", "show", run_id, "--json")["tags"]
        assert set(tags) == {"first", "from-a", "from-b"}
