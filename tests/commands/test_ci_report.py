"""`ci report`: rendering, the job summary, the artifact, posting (and not posting) on GitHub."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci.test_report import _claimed, _result
from tests.conftest import cli, git
from tests.github.fake_api import FakeGitHub

TOKEN = "ghs_reportTESTtoken_0123456789"
HEAD = "b" * 40


def _event(tmp_path: Path, *, fork: bool = False) -> Path:
    repo = {"full_name": "acme/ml"}
    head_repo = {"full_name": "someone/ml"} if fork else repo
    event = {
        "number": 3,
        "pull_request": {
            "number": 3,
            "head": {"sha": HEAD, "ref": "x", "repo": head_repo},
            "base": {"sha": "a" * 40, "ref": "main", "repo": repo},
        },
        "repository": repo,
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return path


def _env(tmp_path: Path, server: FakeGitHub | None, *, fork: bool = False) -> dict[str, str]:
    env = {
        "GITHUB_EVENT_PATH": str(_event(tmp_path, fork=fork)),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_TOKEN": TOKEN,
    }
    if server:
        env["GITHUB_API_URL"] = server.url
    return env


def _input(tmp_path: Path, ok: bool = True) -> Path:
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps(_result([_claimed(1)], ok=ok, failures=[] if ok else ["run x: bad"]))
    )
    return path


def test_render_markdown_and_json(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    res = _input(tmp_path)
    md = cli(tmp_path, "ci", "report", "--input", str(res))
    assert md.returncode == 0 and md.stdout.startswith("<!-- gitops-ml:pr-check -->")
    js = cli(tmp_path, "ci", "report", "--input", str(res), "--json")
    assert json.loads(js.stdout)["ok"] is True
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    proc = cli(tmp_path, "ci", "report", "--input", str(bad))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_post_summary_and_artifact(tmp_path: Path) -> None:
    res = _input(tmp_path, ok=False)
    with FakeGitHub(TOKEN) as server:
        proc = cli(
            tmp_path,
            "ci",
            "report",
            "--input",
            str(res),
            "--post",
            "--summary",
            "--artifact",
            str(tmp_path / "art"),
            "--json",
            "--exit-code",
            env=_env(tmp_path, server),
        )
    assert proc.returncode == 1, proc.stderr  # --exit-code: the check had failed
    posted = json.loads(proc.stdout)["posted"]
    assert posted["comment"]["action"] == "created" and posted["status"] == "failure"
    assert [(s["sha"], s["state"], s["description"]) for s in server.statuses] == [
        (HEAD, "failure", "run x: bad")
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert "check failed" in summary
    art = tmp_path / "art"
    assert json.loads((art / "pull-request.json").read_text()) == {
        "number": 3,
        "head_sha": HEAD,
        "repository": "acme/ml",
    }
    assert (art / "report.md").read_text() == summary
    assert TOKEN not in proc.stdout + proc.stderr + summary


def test_a_fork_posts_nothing_and_says_why(tmp_path: Path) -> None:
    with FakeGitHub(TOKEN) as server:
        proc = cli(
            tmp_path,
            "ci",
            "report",
            "--input",
            str(_input(tmp_path)),
            "--post",
            "--quiet",
            env=_env(tmp_path, server, fork=True),
        )
    assert proc.returncode == 0, proc.stderr
    assert server.requests == []
    assert "fork" in proc.stderr and "workflow_run" in proc.stderr


def test_a_missing_permission_is_one_line_naming_it(tmp_path: Path) -> None:
    with FakeGitHub(TOKEN, deny=("comment",)) as server:
        proc = cli(
            tmp_path,
            "ci",
            "report",
            "--input",
            str(_input(tmp_path)),
            "--post",
            "--quiet",
            env=_env(tmp_path, server),
        )
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0
    assert "'pull-requests: write'" in proc.stderr and TOKEN not in proc.stderr


def test_the_workflow_run_follow_up_posts_only_for_the_current_head(tmp_path: Path) -> None:
    art = tmp_path / "art"
    art.mkdir()
    (art / "pull-request.json").write_text(json.dumps({"number": 3}))
    base_env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/ml"}
    with FakeGitHub(TOKEN, pulls={3: HEAD}) as server:
        env = {**base_env, "GITHUB_API_URL": server.url}
        args = (
            "ci",
            "report",
            "--input",
            str(_input(tmp_path)),
            "--pr-file",
            str(art / "pull-request.json"),
            "--post",
            "--quiet",
        )
        stale = cli(tmp_path, *args, "--sha", "c" * 40, env=env)
        assert stale.returncode == 2 and "nothing posted" in stale.stderr
        assert server.comments == {} and server.statuses == []
        fresh = cli(tmp_path, *args, "--sha", HEAD, env=env)
        assert fresh.returncode == 0, fresh.stderr
    assert [s["sha"] for s in server.statuses] == [HEAD]
    assert ("GET", "/repos/acme/ml/pulls/3") in server.calls()
