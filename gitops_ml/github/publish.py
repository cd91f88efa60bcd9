"""Post a check's report on a pull request: sticky comment, commit status, check run.

The comment and the status are required (a refusal is one line naming the permission);
the check run is extra, created where the token allows it: when GitHub refuses it, the
status stands in for it and one notice line says why.
"""

from __future__ import annotations

from collections.abc import Callable

from gitops_ml.github.client import Client, PermissionMissing
from gitops_ml.github.context import PullRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Log = Callable[[str], None]


def publish(
    client: Client,
    pr: PullRequest,
    *,
    markdown: str,
    marker: str,
    state: str,
    description: str,
    context: str = "gitops-ml",
    check_run: bool = True,
    details_url: str | None = None,
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """Post everything; returns what was done (for ``--json`` and the tests)."""
    done: dict[str, Any] = {"pr": pr.number, "sha": pr.head_sha}
    action, comment_id = client.upsert_comment(pr.number, markdown, marker)
    done["comment"] = {"action": action, "id": comment_id}
    log(f"{action} the report comment on #{pr.number}")
    client.set_status(pr.head_sha, state, description, context, details_url)
    done["status"] = state
    log(f"status {state} on {pr.head_sha[:12]}")
    done["check_run"] = None
    if check_run:
        try:
            done["check_run"] = client.check_run(
                pr.head_sha,
                context,
                ok=state == "success",
                title=description,
                summary=markdown,
                details_url=details_url,
            )
            log("check run created")
        except PermissionMissing as exc:
            done["check_run_skipped"] = exc.permission
            log(f"notice: no check run (the token lacks '{exc.permission}'); the status stands")
    return done
