"""A loopback stand-in for GitHub's REST API: the calls gitops-ml makes, GitHub's payloads.

Answers like api.github.com (same paths, status codes and payload shapes, taken from
GitHub's REST reference) for: the repository, an issue / pull request, its comments
(list, create, edit), commit statuses and check runs. Every request is recorded
(method, path, JSON body, whether the token matched); the token itself is never kept.
``deny`` names calls answered ``403 Resource not accessible by integration`` (what
GitHub says when the workflow did not grant the permission).

Run standalone: ``python tests/github/fake_api.py TOKEN`` prints its URL and serves.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOW = "2026-01-31T12:00:00Z"


def _user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    base = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": f"MDQ6VXNlcj{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": base,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "site_admin": False,
    }


BOT = _user("github-actions[bot]", 41898282, "Bot")


class FakeGitHub:
    """The server; ``url`` is the API base to put in ``GITHUB_API_URL``."""

    def __init__(
        self,
        token: str,
        repository: str = "acme/ml",
        *,
        prefix: str = "",
        deny: tuple[str, ...] = (),
        pulls: dict[int, str] | None = None,
    ) -> None:
        self.token = token
        self.repository = repository
        self.prefix = prefix  # "/api/v3" to stand in for GitHub Enterprise Server
        self.deny = set(deny)
        self.pulls = dict(pulls or {})  # number -> head sha
        self.requests: list[dict[str, Any]] = []
        self.comments: dict[int, dict[str, Any]] = {}  # id -> comment (with "issue")
        self.statuses: list[dict[str, Any]] = []
        self.check_runs: list[dict[str, Any]] = []
        self.deployments: dict[int, dict[str, Any]] = {}  # id -> deployment (with "_statuses")
        self._next = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ payloads
    def _id(self) -> int:
        self._next += 1
        return self._next

    def repo_url(self) -> str:
        return f"{self.url}/repos/{self.repository}"

    def repo_payload(self) -> dict[str, Any]:
        owner, name = self.repository.split("/")
        u = self.repo_url()
        urls = {
            f"{k}_url": f"{u}/{v}"
            for k, v in {
                "archive": "{archive_format}{/ref}",
                "assignees": "assignees{/user}",
                "blobs": "git/blobs{/sha}",
                "branches": "branches{/branch}",
                "collaborators": "collaborators{/collaborator}",
                "comments": "comments{/number}",
                "commits": "commits{/sha}",
                "compare": "compare/{base}...{head}",
                "contents": "contents/{+path}",
                "contributors": "contributors",
                "deployments": "deployments",
                "downloads": "downloads",
                "events": "events",
                "forks": "forks",
                "git_commits": "git/commits{/sha}",
                "git_refs": "git/refs{/sha}",
                "git_tags": "git/tags{/sha}",
                "hooks": "hooks",
                "issue_comment": "issues/comments{/number}",
                "issue_events": "issues/events{/number}",
                "issues": "issues{/number}",
                "keys": "keys{/key_id}",
                "labels": "labels{/name}",
                "languages": "languages",
                "merges": "merges",
                "milestones": "milestones{/number}",
                "notifications": "notifications{?since,all,participating}",
                "pulls": "pulls{/number}",
                "releases": "releases{/id}",
                "stargazers": "stargazers",
                "statuses": "statuses/{sha}",
                "subscribers": "subscribers",
                "subscription": "subscription",
                "tags": "tags",
                "teams": "teams",
                "trees": "git/trees{/sha}",
            }.items()
        }
        return {
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": name,
            "full_name": self.repository,
            "owner": _user(owner, 1, "Organization"),
            "private": False,
            "html_url": f"https://github.com/{self.repository}",
            "description": "an ML project",
            "fork": False,
            "url": u,
            **urls,
            "clone_url": f"https://github.com/{self.repository}.git",
            "git_url": f"git://github.com/{self.repository}.git",
            "ssh_url": f"git@github.com:{self.repository}.git",
            "svn_url": f"https://svn.github.com/{self.repository}",
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 108,
            "default_branch": "main",
            "open_issues_count": 1,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "pushed_at": NOW,
            "created_at": NOW,
            "updated_at": NOW,
            "permissions": {"admin": False, "push": False, "pull": True},
            "subscribers_count": 1,
            "network_count": 0,
            "license": None,
            "forks": 0,
            "open_issues": 1,
            "watchers": 0,
        }

    def issue_payload(self, number: int) -> dict[str, Any]:
        u = f"{self.repo_url()}/issues/{number}"
        return {
            "id": 1,
            "node_id": "MDU6SXNzdWUx",
            "url": u,
            "repository_url": self.repo_url(),
            "labels_url": f"{u}/labels{{/name}}",
            "comments_url": f"{u}/comments",
            "events_url": f"{u}/events",
            "html_url": f"https://github.com/{self.repository}/pull/{number}",
            "number": number,
            "state": "open",
            "title": "a change",
            "body": None,
            "body_html": "",
            "body_text": "",
            "user": _user("octocat", 583231),
            "labels": [],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": sum(1 for c in self.comments.values() if c["_issue"] == number),
            "pull_request": {
                "url": f"{self.repo_url()}/pulls/{number}",
                "html_url": f"https://github.com/{self.repository}/pull/{number}",
                "diff_url": f"https://github.com/{self.repository}/pull/{number}.diff",
                "patch_url": f"https://github.com/{self.repository}/pull/{number}.patch",
            },
            "closed_at": None,
            "created_at": NOW,
            "updated_at": NOW,
            "closed_by": None,
            "author_association": "CONTRIBUTOR",
        }

    def _comment(self, number: int, body: str) -> dict[str, Any]:
        cid = self._id()
        return {
            "_issue": number,
            "id": cid,
            "node_id": f"MDEyOklzc3VlQ29tbWVudD{cid}",
            "url": f"{self.repo_url()}/issues/comments/{cid}",
            "html_url": f"https://github.com/{self.repository}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.repo_url()}/issues/{number}",
            "body": body,
            "body_html": "",
            "body_text": body,
            "user": BOT,
            "created_at": NOW,
            "updated_at": NOW,
            "author_association": "NONE",
        }

    def pull_payload(self, number: int) -> dict[str, Any]:
        sha = self.pulls[number]
        repo = self.repo_payload()
        u = f"{self.repo_url()}/pulls/{number}"
        issue = self.issue_payload(number)
        return {
            **{k: v for k, v in issue.items() if k != "pull_request"},
            "url": u,
            "issue_url": f"{self.repo_url()}/issues/{number}",
            "commits_url": f"{u}/commits",
            "review_comments_url": f"{u}/comments",
            "review_comment_url": f"{self.repo_url()}/pulls/comments{{/number}}",
            "comments_url": f"{self.repo_url()}/issues/{number}/comments",
            "statuses_url": f"{self.repo_url()}/statuses/{sha}",
            "diff_url": f"https://github.com/{self.repository}/pull/{number}.diff",
            "patch_url": f"https://github.com/{self.repository}/pull/{number}.patch",
            "head": {
                "label": "acme:feature",
                "ref": "feature",
                "sha": sha,
                "user": repo["owner"],
                "repo": repo,
            },
            "base": {
                "label": "acme:main",
                "ref": "main",
                "sha": "0" * 40,
                "user": repo["owner"],
                "repo": repo,
            },
            "_links": {},
            "merged": False,
            "mergeable": True,
            "merged_at": None,
            "merged_by": None,
            "merge_commit_sha": None,
            "requested_reviewers": [],
            "requested_teams": [],
            "draft": False,
            "commits": 1,
            "additions": 1,
            "deletions": 0,
            "changed_files": 1,
            "review_comments": 0,
            "maintainer_can_modify": False,
            "mergeable_state": "clean",
            "rebaseable": True,
        }

    # ------------------------------------------------------------ routing
    def _routes(self) -> list[tuple[str, str, Any]]:
        """(method, path pattern after /repos/OWNER/NAME, handler(match, body))."""
        return [
            ("GET", r"", lambda m, b: (200, self.repo_payload())),
            ("GET", r"/issues/(\d+)", lambda m, b: (200, self.issue_payload(int(m.group(1))))),
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._edit_comment),
            ("POST", r"/statuses/([0-9a-f]{40})", self._create_status),
            ("POST", r"/check-runs", self._create_check_run),
            ("GET", r"/pulls/(\d+)", self._get_pull),
            ("POST", r"/deployments", self._create_deployment),
            ("POST", r"/deployments/(\d+)/statuses", self._create_deployment_status),
        ]

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        mine = f"{self.prefix}/repos/{self.repository}"
        if path != mine and not path.startswith(mine + "/"):
            return 404, _not_found()
        tail = path[len(mine) :]
        for verb, pattern, handler in self._routes():
            m = re.fullmatch(pattern, tail)
            if verb == method and m:
                result: tuple[int, Any] = handler(m, body)
                return result
        return 404, _not_found()

    def _list_comments(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        number = int(m.group(1))
        return 200, [_public(c) for c in self.comments.values() if c["_issue"] == number]

    def _create_comment(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        if "comment" in self.deny:
            return 403, _forbidden("issues/comments#create-an-issue-comment")
        comment = self._comment(int(m.group(1)), str(body.get("body")))
        self.comments[comment["id"]] = comment
        return 201, _public(comment)

    def _edit_comment(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        comment = self.comments.get(int(m.group(1)))
        if comment is None:
            return 404, _not_found()
        if "comment" in self.deny:
            return 403, _forbidden("issues/comments#update-an-issue-comment")
        comment["body"] = str(body.get("body"))
        comment["updated_at"] = NOW
        return 200, _public(comment)

    def _create_deployment(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        if "deployment" in self.deny:
            return 403, _forbidden("deployments/deployments#create-a-deployment")
        dep_id = self._id()
        url = f"{self.repo_url()}/deployments/{dep_id}"
        dep = {
            "url": url,
            "id": dep_id,
            "node_id": "MDEwOkRlcGxveW1lbnQx",
            "sha": body.get("ref"),
            "ref": body.get("ref"),
            "task": body.get("task", "deploy"),
            "payload": body.get("payload") or {},
            "original_environment": body.get("environment", "production"),
            "environment": body.get("environment", "production"),
            "description": body.get("description"),
            "creator": BOT,
            "created_at": NOW,
            "updated_at": NOW,
            "statuses_url": f"{url}/statuses",
            "repository_url": self.repo_url(),
            "transient_environment": False,
            "production_environment": body.get("environment") == "production",
            "_statuses": [],
        }
        self.deployments[dep_id] = dep
        return 201, _public(dep)

    def _create_deployment_status(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        dep = self.deployments.get(int(m.group(1)))
        if dep is None:
            return 404, _not_found()
        status = {
            "url": f"{dep['url']}/statuses/{self._id()}",
            "id": self._next,
            "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
            "state": body.get("state"),
            "creator": BOT,
            "description": body.get("description") or "",
            "environment": dep["environment"],
            "target_url": body.get("target_url") or "",
            "log_url": body.get("log_url") or "",
            "created_at": NOW,
            "updated_at": NOW,
            "deployment_url": dep["url"],
            "repository_url": self.repo_url(),
        }
        dep["_statuses"].append(status)
        return 201, status

    def _get_pull(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        if int(m.group(1)) not in self.pulls:
            return 404, _not_found()
        return 200, self.pull_payload(int(m.group(1)))

    def _create_status(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        if "status" in self.deny:
            return 403, _forbidden("commits/statuses#create-a-commit-status")
        status = {
            "url": f"{self.repo_url()}/statuses/{m.group(1)}",
            "avatar_url": BOT["avatar_url"],
            "id": self._id(),
            "node_id": "MDY6U3RhdHVzMQ==",
            "state": body.get("state"),
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": body.get("context", "default"),
            "created_at": NOW,
            "updated_at": NOW,
            "creator": BOT,
            "sha": m.group(1),
        }
        self.statuses.append(status)
        return 201, {k: v for k, v in status.items() if k != "sha"}

    def _create_check_run(self, m: re.Match[str], body: Any) -> tuple[int, Any]:
        if "checks" in self.deny:
            return 403, _forbidden("checks/runs#create-a-check-run")
        run_id = self._id()
        run = {
            "id": run_id,
            "head_sha": body.get("head_sha"),
            "node_id": "MDg6Q2hlY2tSdW40",
            "external_id": "",
            "url": f"{self.repo_url()}/check-runs/{run_id}",
            "html_url": f"https://github.com/{self.repository}/runs/{run_id}",
            "details_url": body.get("details_url"),
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "started_at": NOW,
            "completed_at": body.get("completed_at"),
            "output": {
                "title": (body.get("output") or {}).get("title"),
                "summary": (body.get("output") or {}).get("summary"),
                "text": None,
                "annotations_count": 0,
                "annotations_url": f"{self.repo_url()}/check-runs/{run_id}/annotations",
            },
            "name": body.get("name"),
            "check_suite": {"id": 5},
            "app": {
                "id": 15368,
                "slug": "github-actions",
                "node_id": "MDM6QXBwMTUzNjg=",
                "owner": _user("github", 9919, "Organization"),
                "name": "GitHub Actions",
                "description": "Automate your workflow from idea to production",
                "external_url": "https://help.github.com/en/actions",
                "html_url": "https://github.com/apps/github-actions",
                "created_at": "2018-07-30T09:30:17Z",
                "updated_at": "2019-12-10T19:04:12Z",
                "permissions": {"checks": "write", "statuses": "write"},
                "events": ["check_run", "pull_request"],
            },
            "pull_requests": [],
        }
        self.check_runs.append(run)
        return 201, run

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                path = self.path.split("?", 1)[0]
                auth = self.headers.get("Authorization") or ""
                ok = auth in (f"token {fake.token}", f"Bearer {fake.token}")
                with fake._lock:
                    fake.requests.append(
                        {
                            "method": method,
                            "path": path,
                            "query": self.path.partition("?")[2],
                            "body": body,
                            "authorized": ok,
                        }
                    )
                    if not ok:
                        code, payload = (
                            401,
                            {
                                "message": "Bad credentials",
                                "documentation_url": "https://docs.github.com/rest",
                                "status": "401",
                            },
                        )
                    else:
                        code, payload = fake._route(method, path, body)
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

        return Handler

    # ------------------------------------------------------------ for asserts
    def calls(self) -> list[tuple[str, str]]:
        """``(method, path without the API prefix)`` of every request, in order."""
        return [(r["method"], r["path"][len(self.prefix) :]) for r in self.requests]


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in comment.items() if not k.startswith("_")}


def _forbidden(doc: str) -> dict[str, Any]:
    return {
        "message": "Resource not accessible by integration",
        "documentation_url": f"https://docs.github.com/rest/{doc}",
        "status": "403",
    }


def _not_found() -> dict[str, Any]:
    return {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


if __name__ == "__main__":  # pragma: no cover - a manual helper
    with FakeGitHub(sys.argv[1]) as server:
        print(server.url, flush=True)
        threading.Event().wait()
