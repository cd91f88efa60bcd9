"""The GitHub REST client the check posts through: github3.py, pointed at ``GITHUB_API_URL``.

- The API base is set on github3's session (``GitHubEnterprise`` would append ``/api/v3``
  to a ``GITHUB_API_URL`` that already ends in it).
- The token is used as an app installation token (what Actions' ``GITHUB_TOKEN`` is):
  github3's ``create_check_run`` refuses a plain token login.
- One sticky comment per pull request, found by a hidden marker and edited in place.
- A refused call is one line naming the permission the workflow must grant; the token is
  never part of any message.
"""

from __future__ import annotations

import datetime

from gitops_ml.core.errors import EnvironmentProblem, GitopsError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PERMISSIONS = {
    "comment": "pull-requests: write",
    "status": "statuses: write",
    "check run": "checks: write",
    "read": "contents: read",
    "pull request": "pull-requests: read",
    "deployment": "deployments: write",
}
# What a call does, for messages: the two reads are not "creating" anything.
ACTIONS = {"read": "read the repository", "pull request": "read the pull request"}


def action(what: str) -> str:
    """``what`` as the thing the call was asked to do: "create the comment"."""
    return ACTIONS.get(what, f"create the {what}")


class PermissionMissing(GitopsError):
    """GitHub refused a call for lack of a permission (exit 3)."""

    def __init__(self, what: str, status: int) -> None:
        self.what = what
        self.permission = PERMISSIONS[what]
        super().__init__(
            f"GitHub refused to {action(what)} ({status}): the token lacks "
            f"'{self.permission}' (add it under permissions: in the workflow)",
            3,
        )


def _github3() -> Any:
    try:
        import github3
    except ImportError:
        raise EnvironmentProblem(
            "posting to GitHub needs github3.py: pip install 'gitops-ml[github]'"
        ) from None
    return github3


class Client:
    """One repository on one GitHub (or GitHub Enterprise Server) API."""

    def __init__(self, api_url: str, token: str | None, repository: str) -> None:
        if not token:
            raise UsageError("GITHUB_TOKEN is not set: pass the workflow's token in env")
        github3 = _github3()
        self._exc = github3.exceptions
        self.gh = github3.GitHub()
        self.gh.session.base_url = api_url.rstrip("/")
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        self.gh.session.app_installation_token_auth(
            {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )
        self.api_url = api_url.rstrip("/")
        self.owner, _, self.name = repository.partition("/")
        self._repo: Any = None

    # ------------------------------------------------------------ errors
    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._exc.ForbiddenError as exc:
            raise PermissionMissing(what, 403) from exc
        except self._exc.NotFoundError as exc:  # GitHub hides what a token may not see
            raise PermissionMissing(what, 404) from exc
        except self._exc.AuthenticationFailed as exc:
            raise EnvironmentProblem(
                f"GitHub rejected the token (401) when asked to {action(what)}"
            ) from exc
        except self._exc.ConnectionError as exc:
            raise EnvironmentProblem(f"cannot reach the GitHub API at {self.api_url}") from exc
        except self._exc.GitHubError as exc:
            code = getattr(exc, "code", "?")
            raise EnvironmentProblem(
                f"GitHub answered {code} when asked to {action(what)}: "
                f"{str(getattr(exc, 'msg', ''))[:200]}"
            ) from exc

    @property
    def repo(self) -> Any:
        if self._repo is None:
            # github3 (>= 4) raises for a 404, which _call turns into one line
            self._repo = self._call("read", self.gh.repository, self.owner, self.name)
        return self._repo

    # ------------------------------------------------------------ calls
    def head_sha(self, number: int) -> str:
        """The head commit of pull request ``number``."""
        pr = self._call("pull request", self.repo.pull_request, number)
        return str(pr.head.sha)

    def upsert_comment(self, number: int, body: str, marker: str) -> tuple[str, int]:
        """Edit the comment that starts with ``marker``, or create it: ("updated"|"created", id)."""
        issue = self._call("comment", self.repo.issue, number)
        mine = [
            c
            for c in self._call("comment", lambda: list(issue.comments()))
            if (c.body or "").startswith(marker)
        ]
        if mine:
            comment = mine[-1]
            self._call("comment", comment.edit, body)
            return "updated", int(comment.id)
        created = self._call("comment", issue.create_comment, body)
        return "created", int(created.id)

    def set_status(
        self, sha: str, state: str, description: str, context: str, target_url: str | None
    ) -> None:
        """A commit status on ``sha``."""
        self._call(
            "status",
            self.repo.create_status,
            sha,
            state,
            target_url=target_url,
            description=description[:140],
            context=context,
        )

    def check_run(
        self,
        sha: str,
        name: str,
        *,
        ok: bool,
        title: str,
        summary: str,
        details_url: str | None,
    ) -> int:
        """A completed check run on ``sha`` (raises :class:`PermissionMissing` when refused)."""
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run = self._call(
            "check run",
            self.repo.create_check_run,
            name=name,
            head_sha=sha,
            details_url=details_url,
            status="completed",
            conclusion="success" if ok else "failure",
            completed_at=now,
            output={"title": title[:200], "summary": summary[:65_000]},
        )
        return int(run.id)
