"""The job's context from GitHub's environment (github/context.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.github import context

SHA = "d" * 40


def _event(head_repo: str = "acme/ml", sha: str = SHA) -> dict:
    return {
        "number": 4,
        "pull_request": {
            "number": 4,
            "head": {"sha": sha, "repo": {"full_name": head_repo}},
            "base": {"sha": "e" * 40, "repo": {"full_name": "acme/ml"}},
        },
        "repository": {"full_name": "acme/ml"},
    }


def test_the_pull_request_of_the_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(_event()))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
    pr = context.pull_request()
    assert pr is not None
    assert (pr.number, pr.head_sha, pr.base_sha, pr.repository, pr.fork) == (
        4,
        SHA,
        "e" * 40,
        "acme/ml",
        False,
    )
    fork = context.pull_request(_event(head_repo="someone/ml"))
    assert fork is not None and fork.fork
    assert context.pull_request({"ref": "refs/heads/main"}) is None


@pytest.mark.parametrize(
    "event",
    [
        _event(sha="$(touch x)"),
        _event(sha="abc"),
        {**_event(), "repository": {"full_name": "a/b/c"}},
    ],
)
def test_malformed_values_are_refused(event: dict) -> None:
    with pytest.raises(UsageError):
        context.pull_request(event)


def test_api_url_summary_and_run_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    assert context.api_url() == "https://api.github.com"
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    assert context.api_url() == "https://ghe.example.com/api/v3"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert context.write_summary("x") is False
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert context.write_summary("one") and context.write_summary("two\n")
    assert summary.read_text() == "one\ntwo\n"
    for name, value in (
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/ml"),
        ("GITHUB_RUN_ID", "42"),
    ):
        monkeypatch.setenv(name, value)
    assert context.run_url() == "https://github.com/acme/ml/actions/runs/42"


def test_write_output_appends_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    with pytest.raises(UsageError, match="GITHUB_OUTPUT is not set"):
        context.write_output("best", "01ABC")
    out = tmp_path / "output"
    out.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    context.write_output("best", "01ABC")
    context.write_output("matrix", '{"include":[]}')
    assert out.read_text() == 'earlier=1\nbest=01ABC\nmatrix={"include":[]}\n'
    with pytest.raises(UsageError, match="not an output name"):
        context.write_output("a=b", "x")
    assert out.read_text().count("\n") == 3
