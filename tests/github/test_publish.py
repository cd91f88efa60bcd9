"""Publishing a report (github/publish.py) through the real client to the stand-in:
the exact requests, the sticky comment, the check-run fallback."""

from __future__ import annotations

from typing import Any

from gitops_ml.github.client import Client
from gitops_ml.github.context import PullRequest
from gitops_ml.github.publish import publish
from tests.github.fake_api import FakeGitHub

TOKEN = "ghs_TESTtoken0123456789abcdefABCDEF"
SHA = "a" * 40
MARKER = "<!-- gitops-ml:pr-check -->"


def _publish(server: FakeGitHub, body: str, state: str = "success") -> dict[str, Any]:
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
