"""The newcomer's page as data: what was tried, what is best, what is deployed, what failed.

A service (no printing): ``gitops-ml status`` renders it, the CI report can reuse it.
Counts and the best runs come from the query index in SQL (nothing proportional to the
number of runs is parsed in Python); non-finite metrics never rank.
"""

from __future__ import annotations

from gitops_ml.core import config, deploychain, deployevents, git, gitstore
from gitops_ml.runs import index, runstatus
from gitops_ml.runs.query import Sql

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

TOP = 5


def best_in_index(idx: index.RunIndex, primary: str | None, n: int = TOP) -> list[dict[str, Any]]:
    """Successful runs with a finite primary metric, best first (``-name``: lower is
    better), answered by the index: only the ``n`` best records are parsed."""
    if not primary or '"' in primary:
        return []
    name = primary.lstrip("-")
    value = "json_extract(r.metrics, :metric)"
    where = Sql(
        "r.exit_code = 0 AND json_type(r.metrics, :metric) IN ('integer', 'real')",
        {"metric": f'$."{name}"'},
    )
    order = Sql(f"{value} {'ASC' if primary.startswith('-') else 'DESC'}, r.id ASC")
    return idx.records(where=where, order=order, limit=n)


def deployments(repo: gitstore.Repo) -> list[dict[str, Any]]:
    """One entry per ``refs/deploy/<env>``: the run in service (the chain read as
    :func:`deployevents.in_service` reads it: a link whose target failed put nothing in
    service), the chain length, and whether its head succeeded."""
    out = []
    for env, sha in deploychain.environments(repo).items():
        events = deploychain.events(repo, sha)
        current = deployevents.in_service(events)
        run = current.get("run") if current else None
        head = events[-1] if events else {}
        out.append(
            {
                "environment": env,
                "commit": sha,
                "run": run if isinstance(run, str) else None,
                "record": current or {},
                "deploys": len(events),
                "head_ok": deployevents.ok(head),
                "summary": str(head.get("summary") or ""),
            }
        )
    return out


def verification_failures(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs whose latest verification says their metrics did not reproduce."""
    out = []
    for r in runs:
        verdicts = [
            f for f in r.get("notes") or [] if isinstance(f, dict) and f.get("type") == "verify"
        ]
        if verdicts and verdicts[-1].get("ok") is not True:
            out.append({"run": r["id"], "name": r.get("name"), "verify": verdicts[-1]})
    return out


def reproduce_command(run_id: str) -> str:
    """The command that reproduces a run, quoted for pasting into a shell."""
    from gitops_ml.ui.render import shell_command

    return shell_command(["gitops-ml", "reproduce", run_id, "--verify"])


def gather(repo: gitstore.Repo, idx: index.RunIndex | None = None) -> dict[str, Any]:
    """Everything the status page shows, as plain data (the ``status --json`` output)."""
    cfg = config.load(repo.top)
    idx = idx or index.load(repo)
    total = idx.count()
    failed = idx.count(where=Sql("coalesce(r.exit_code != 0, 1)"))
    best = best_in_index(idx, cfg.primary)
    pick = best[0] if best else next(iter(idx.records(where=Sql("r.exit_code = 0"), limit=1)), None)
    unverified = idx.records(where=Sql("r.status = 'not reproduced'"))
    remotes = git.out(["remote"], repo.top).split()
    metric = (cfg.primary or "").lstrip("-")
    return {
        "runs": total,
        "failed": failed,
        "by_user": dict(idx.by_user()),
        "primary": cfg.primary,
        "best": [
            {
                "id": r["id"],
                "name": r.get("name"),
                "metric": (r.get("metrics") or {}).get(metric),
                "user": (r.get("user") or {}).get("email"),
                "started": r.get("started"),
                "status": runstatus.status(r),
            }
            for r in best
        ],
        "deployed": deployments(repo),
        "verification_failures": verification_failures(unverified),
        "reproduce": reproduce_command(pick["id"]) if pick else None,
        "reproduce_run": pick["id"] if pick else None,
        "remotes": remotes,
        "sync": "gitops-ml sync" if remotes else "git remote add origin URL && gitops-ml sync",
    }
