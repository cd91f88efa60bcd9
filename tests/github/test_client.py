"""The github3.py client against the loopback stand-in: permissions, GHES, a bad token."""

from __future__ import annotations

import pytest

from gitops_ml.github.client import PermissionMissing
from tests.github.fake_api import FakeGitHub
from tests.github.test_publish import MARKER, TOKEN, _publish


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
