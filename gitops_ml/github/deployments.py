"""GitHub Deployments for ``gitops-ml deploy`` in GitHub Actions: one deployment per deploy
event, with an ``in_progress`` status before the target runs and ``success`` or
``failure`` after. Skipped when the job's ``environment:`` already makes GitHub create one.
"""

from __future__ import annotations

import os

from gitops_ml.github.client import Client

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def wanted(setting: Any) -> bool:
    """Whether to create a deployment: ``true``, or ``auto`` inside GitHub Actions with a
    token and a repository in the environment."""
    if setting is True:
        return True
    if setting is False:
        return False
    from gitops_ml.github import context

    return (
        os.environ.get("GITHUB_ACTIONS") == "true"
        and bool(context.token())
        and bool(context.repository())
    )


class Deployment:
    """The GitHub side of one deploy event (``start`` before the target, ``finish`` after)."""

    def __init__(self, client: Client | None = None) -> None:
        from gitops_ml.github import context

        self.client = client or Client(
            context.api_url(), context.token(), context.repository() or ""
        )
        self._dep: Any = None

    def _log_url(self) -> str | None:
        env = os.environ
        if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_RUN_ID"):
            return (
                f"{env['GITHUB_SERVER_URL']}/{self.client.owner}/{self.client.name}"
                f"/actions/runs/{env['GITHUB_RUN_ID']}"
            )
        return None

    def start(self, event: dict[str, Any]) -> dict[str, Any]:
        """Create the deployment (ref: the commit being built) and mark it in progress."""
        ref = os.environ.get("GITHUB_SHA") or str(event.get("run_commit") or "")
        self._dep = self.client._call(
            "deployment",
            self.client.repo.create_deployment,
            ref,
            required_contexts=[],
            payload={"run": event["run"], "models": event.get("models") or []},
            description=f"{event['action']} run {event['run']}"[:140],
            environment=event["environment"],
        )
        self.client._call(
            "deployment",
            self._dep.create_status,
            "in_progress",
            target_url=self._log_url(),
            description=f"{event['action']} of run {event['run']} started"[:140],
        )
        return {"id": int(self._dep.id), "ref": ref}

    def finish(self, event: dict[str, Any], ok: bool) -> None:
        """The final status: success or failure of the target."""
        if self._dep is None:
            return
        self.client._call(
            "deployment",
            self._dep.create_status,
            "success" if ok else "failure",
            target_url=self._log_url(),
            description=f"run {event['run']} {'in service' if ok else 'not deployed'}"[:140],
        )
