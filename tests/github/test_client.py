"""The github3.py client against the loopback stand-in: exact requests, permissions, GHES."""

from __future__ import annotations

import pytest

from gitops_ml.github.client import Client, PermissionMissing
from gitops_ml.github.context import PullRequest
from gitops_ml.github.publish import publish
from tests.github.fake_api import FakeGitHub

TOKEN = "ghs_TESTtoken0123456789abcdefABCDEF"
SHA = "a" * 40
MARKER = "<!-- gitops-ml:pr-check -->"


def _publish(server: FakeGitHub, body: str, state: str = "success") -> dict:
    client = Client(server.url, TOKEN, "acme/ml")
    pr = PullRequest(7, SHA, None, "acme/ml", False)
    return publish(client, pr, markdown=body, marker=MARKER, state=state, description="ok")


def test_one_comment_created_then_edited_status_and_check_run() -> None:
    with FakeGitHub(TOKEN) as server:
        first = _publish(server, f"{MARKER}\nfirst")
        second = _publish(server, f"{MARKER}\nsecond", "failure")
    assert first["comment"]["action"] == "created"
    assert second["comment"] == {"action": "updated", "id": first["comment"]["id"]}
    cid = first["comment"]["id"]
    once = [
        ("GET", "/repos/acme/ml"),
        ("GET", "/repos/acme/ml/issues/7"),
        ("GET", "/repos/acme/ml/issues/7/comments"),
    ]
    assert server.calls() == [
        *once,
        ("POST", "/repos/acme/ml/issues/7/comments"),
        ("POST", f"/repos/acme/ml/statuses/{SHA}"),
        ("POST", "/repos/acme/ml/check-runs"),
        *once,
        ("PATCH", f"/repos/acme/ml/issues/comments/{cid}"),
        ("POST", f"/repos/acme/ml/statuses/{SHA}"),
        ("POST", "/repos/acme/ml/check-runs"),
    ]
    assert all(r["authorized"] for r in server.requests)
    assert [c["body"] for c in server.comments.values()] == [f"{MARKER}\nsecond"]
    assert [(s["sha"], s["state"], s["context"]) for s in server.statuses] == [
        (SHA, "success", "gitops-ml"),
        (SHA, "failure", "gitops-ml"),
    ]
    assert [(r["head_sha"], r["conclusion"]) for r in server.check_runs] == [
        (SHA, "success"),
        (SHA, "failure"),
    ]


def test_a_comment_without_the_marker_is_left_alone() -> None:
    with FakeGitHub(TOKEN) as server:
        other = server._comment(7, "LGTM, and it mentions <!-- gitops-ml:pr-check --> later")
        server.comments[other["id"]] = other
        done = _publish(server, f"{MARKER}\nreport")
    assert done["comment"]["action"] == "created"
    assert server.comments[other["id"]]["body"].startswith("LGTM")


def test_check_run_refused_falls_back_to_the_status() -> None:
    with FakeGitHub(TOKEN, deny=("checks",)) as server:
        done = _publish(server, f"{MARKER}\nx")
    assert done["check_run"] is None and done["check_run_skipped"] == "checks: write"
    assert server.calls()[-2:] == [
        ("POST", f"/repos/acme/ml/statuses/{SHA}"),
        ("POST", "/repos/acme/ml/check-runs"),
    ]
    assert [s["state"] for s in server.statuses] == ["success"]


@pytest.mark.parametrize(
    ("deny", "permission"), [("comment", "pull-requests: write"), ("status", "statuses: write")]
)
def test_a_missing_permission_names_it(deny: str, permission: str) -> None:
    with FakeGitHub(TOKEN, deny=(deny,)) as server, pytest.raises(PermissionMissing) as info:
        _publish(server, f"{MARKER}\nx")
    message = str(info.value)
    assert f"'{permission}'" in message and "\n" not in message and TOKEN not in message
    assert info.value.code == 3


def test_enterprise_api_base_is_used_as_given() -> None:
    # GHES: GITHUB_API_URL already ends in /api/v3; it must not become /api/v3/api/v3
    with FakeGitHub(TOKEN, prefix="/api/v3") as server:
        _publish(server, f"{MARKER}\nx")
    assert server.requests[0]["path"] == "/api/v3/repos/acme/ml"
    assert all(not r["path"].startswith("/api/v3/api/v3") for r in server.requests)


def test_a_wrong_token_is_one_line_without_the_token() -> None:
    with FakeGitHub("another-token") as server, pytest.raises(Exception) as info:
        _publish(server, f"{MARKER}\nx")
    assert TOKEN not in str(info.value) and "401" in str(info.value)
