"""The github3.py client against the loopback stand-in: permissions, GHES, a bad token."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from gitops_ml.core.errors import EnvironmentProblem, UsageError
from gitops_ml.github.client import Client, PermissionMissing
from tests.github.fake_api import FakeGitHub
from tests.github.test_publish import MARKER, SHA, TOKEN, _publish


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
    assert TOKEN not in str(info.value)
    assert str(info.value) == "GitHub rejected the token (401) when asked to read the repository"


def test_no_token_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="GITHUB_TOKEN is not set"):
        Client("http://127.0.0.1:9", None, "acme/ml")


def test_reads_github_hides_name_the_read_permission() -> None:
    """GitHub answers 404 for what a token may not see: the message names the read."""
    with FakeGitHub(TOKEN, pulls={7: SHA}) as server:
        assert Client(server.url, TOKEN, "acme/ml").head_sha(7) == SHA
        with pytest.raises(PermissionMissing) as info:
            Client(server.url, TOKEN, "acme/ml").head_sha(8)
        assert str(info.value).startswith("GitHub refused to read the pull request (404): ")
        assert info.value.permission == "pull-requests: read" and info.value.code == 3
        with pytest.raises(PermissionMissing) as info:
            Client(server.url, TOKEN, "acme/other").set_status(SHA, "success", "ok", "c", None)
        assert str(info.value).startswith("GitHub refused to read the repository (404): ")
        assert "'contents: read'" in str(info.value)
    assert [c for c in server.calls() if c[0] == "POST"] == []


def test_an_unreachable_api_is_one_line_exit_3() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EnvironmentProblem) as info:
        Client(f"http://127.0.0.1:{port}/", TOKEN, "acme/ml").head_sha(7)
    assert str(info.value) == f"cannot reach the GitHub API at http://127.0.0.1:{port}"
    assert info.value.code == 3


class _FailingStatuses(FakeGitHub):
    """Answers 502 to a new commit status (a proxy in front of GitHub timing out)."""

    def _create_status(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        return 502, {"message": "upstream timed out", "documentation_url": "x"}


def test_another_error_is_one_line_with_the_status_and_message() -> None:
    with _FailingStatuses(TOKEN) as server, pytest.raises(EnvironmentProblem) as info:
        Client(server.url, TOKEN, "acme/ml").set_status(SHA, "success", "ok", "ctx", None)
    assert str(info.value) == (
        "GitHub answered 502 when asked to create the status: upstream timed out"
    )
    assert info.value.code == 3 and TOKEN not in str(info.value)
    assert server.statuses == []
