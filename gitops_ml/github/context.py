"""Where a CI job is: the pull request, its head and base, the token, from GitHub's env.

Everything here comes from the variables GitHub Actions (and ``act``) set for a step:
``GITHUB_EVENT_PATH`` (the event payload), ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``,
``GITHUB_SERVER_URL``, ``GITHUB_RUN_ID``, ``GITHUB_STEP_SUMMARY`` and the token in
``GITHUB_TOKEN`` (never printed, never stored).
"""

from __future__ import annotations

import json
import os
import re

from gitops_ml.core import digests
from gitops_ml.core.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_API = "https://api.github.com"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class PullRequest:
    """The pull request a check runs for."""

    def __init__(
        self, number: int, head_sha: str, base_sha: str | None, repository: str, fork: bool
    ) -> None:
        self.number = number
        self.head_sha = head_sha
        self.base_sha = base_sha
        self.repository = repository
        self.fork = fork


def api_url() -> str:
    """The REST API base: ``GITHUB_API_URL`` (GitHub Enterprise Server, tests) or github.com's."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")


def token() -> str | None:
    return os.environ.get("GITHUB_TOKEN") or None


def event() -> dict[str, Any]:
    """The event payload of this job ({} outside Actions)."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise UsageError(f"GITHUB_EVENT_PATH: cannot read the event payload: {exc}") from None
    return data if isinstance(data, dict) else {}


def check_repository(name: str) -> str:
    if not _REPO.match(name):
        raise UsageError(f"{name!r} is not a repository name (OWNER/NAME)")
    return name


def check_sha(sha: str) -> str:
    if not digests.is_git_oid(sha):
        raise UsageError(f"{sha!r} is not a full commit id")
    return sha


def repository(payload: dict[str, Any] | None = None) -> str | None:
    """``OWNER/NAME`` of the repository the job runs in."""
    payload = event() if payload is None else payload
    name = ((payload.get("repository") or {}).get("full_name")) or os.environ.get(
        "GITHUB_REPOSITORY"
    )
    return check_repository(str(name)) if name else None


def pull_request(payload: dict[str, Any] | None = None) -> PullRequest | None:
    """The pull request of a ``pull_request`` event (None for other events)."""
    payload = event() if payload is None else payload
    pr = payload.get("pull_request")
    if not isinstance(pr, dict):
        return None
    head, base = pr.get("head") or {}, pr.get("base") or {}
    repo = repository(payload) or str((base.get("repo") or {}).get("full_name") or "")
    head_repo = (head.get("repo") or {}).get("full_name")
    base_repo = (base.get("repo") or {}).get("full_name") or repo
    number = pr.get("number", payload.get("number"))
    if not isinstance(number, int) or isinstance(number, bool):
        raise UsageError("the event's pull_request has no number")
    return PullRequest(
        number=number,
        head_sha=check_sha(str(head.get("sha") or "")),
        base_sha=check_sha(str(base["sha"])) if base.get("sha") else None,
        repository=check_repository(repo),
        fork=bool(head_repo) and head_repo != base_repo,
    )


def run_url() -> str | None:
    """The link to this workflow run, for the status's details."""
    server, repo, run = (
        os.environ.get("GITHUB_SERVER_URL"),
        os.environ.get("GITHUB_REPOSITORY"),
        os.environ.get("GITHUB_RUN_ID"),
    )
    if server and repo and run and run.isdigit():
        return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
    return None


def write_summary(markdown: str) -> bool:
    """Append to the job summary (``GITHUB_STEP_SUMMARY``); False outside Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown)
        if not markdown.endswith("\n"):
            fh.write("\n")
    return True


def write_output(name: str, value: str) -> None:
    """Append ``name=value`` (one line) to the step's outputs, ``GITHUB_OUTPUT``, for a
    command's ``--github-output NAME``. A bad name, or not in Actions: exit 2."""
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", name):
        raise UsageError(f"--github-output {name!r}: not an output name")
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise UsageError("--github-output: GITHUB_OUTPUT is not set (not in GitHub Actions)")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{name}={value}\n")
