"""``gitops-ml status [--json]``: the newcomer's page.

What was tried (counts by person, failures), what is best by the primary metric, what is
deployed where, which verifications failed, the exact command to reproduce the best run,
and how to get everybody else's runs. Reads only local refs (run ``gitops-ml sync`` first
to see the others').
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

from gitops_ml.core import config, git, gitstore
from gitops_ml.runs import index, runstatus
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

TOP = 5


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def best_runs(
    runs: list[dict[str, Any]], primary: str | None, n: int = TOP
) -> list[dict[str, Any]]:
    """Successful runs having the primary metric, best first (``-name``: lower is better)."""
    if not primary:
        return []
    name = primary.lstrip("-")
    lower = primary.startswith("-")
    scored = [
        (score, r)
        for r in runs
        if r.get("exit_code") == 0
        and (score := _number((r.get("metrics") or {}).get(name))) is not None
    ]
    scored.sort(key=lambda item: (item[0] if lower else -item[0], item[1]["id"]))
    return [r for _, r in scored[:n]]


def _deploy_record(message: str, run_ids: set[str]) -> dict[str, Any]:
    """What a deploy commit's message says: its JSON, or at least the run id it names."""
    _, _, body = message.partition("\n\n")
    for chunk in (body, message):
        start = chunk.find("{")
        if start < 0:
            continue
        try:
            item = json.loads(chunk[start:].strip())
        except ValueError:
            continue
        if isinstance(item, dict):
            return item
    found = next((m for m in re.findall(r"\b[0-9A-Z]{26}\b", message) if m in run_ids), None)
    return {"run": found} if found else {}


def deployments(repo: gitstore.Repo, run_ids: set[str]) -> list[dict[str, Any]]:
    """One entry per ``refs/deploy/<env>``: the run its head names and the chain length."""
    text = git.out(
        ["for-each-ref", "--format=%(objectname) %(refname)", gitstore.DEPLOY_PREFIX], repo.top
    )
    heads = [line.split(" ", 1) for line in text.splitlines() if " " in line]
    if not heads:
        return []
    raws = gitstore.read_objects(repo, [sha for sha, _ in heads])
    out = []
    for (sha, ref), raw in zip(heads, raws, strict=True):
        message = (raw or b"").decode(errors="replace").partition("\n\n")[2]
        info = _deploy_record(message, run_ids)
        count = git.out(["rev-list", "--count", sha], repo.top)
        out.append(
            {
                "environment": ref[len(gitstore.DEPLOY_PREFIX) :],
                "commit": sha,
                "run": info.get("run"),
                "record": info,
                "deploys": int(count or 0),
                "summary": message.split("\n", 1)[0],
            }
        )
    return out


def verification_failures(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs whose latest verification says their metrics did not reproduce."""
    out = []
    for r in runs:
        verdicts = [f for f in r.get("notes") or [] if f.get("type") == "verify"]
        if verdicts and not verdicts[-1].get("ok"):
            out.append({"run": r["id"], "name": r.get("name"), "verify": verdicts[-1]})
    return out


def gather(repo: gitstore.Repo) -> dict[str, Any]:
    """Everything the page shows, as plain data (the ``--json`` output)."""
    cfg = config.load(repo.top)
    runs = index.load(repo).runs()
    users = Counter(
        (r.get("user") or {}).get("email") or (r.get("user") or {}).get("name") or "?" for r in runs
    )
    failed = [r for r in runs if r.get("exit_code") != 0]
    best = best_runs(runs, cfg.primary)
    pick = best[0] if best else next((r for r in reversed(runs) if r.get("exit_code") == 0), None)
    remotes = git.out(["remote"], repo.top).split()
    return {
        "runs": len(runs),
        "failed": len(failed),
        "by_user": dict(users.most_common()),
        "primary": cfg.primary,
        "best": [
            {
                "id": r["id"],
                "name": r.get("name"),
                "metric": (r.get("metrics") or {}).get((cfg.primary or "").lstrip("-")),
                "user": (r.get("user") or {}).get("email"),
                "started": r.get("started"),
                "status": runstatus.status(r),
            }
            for r in best
        ],
        "deployed": deployments(repo, {r["id"] for r in runs}),
        "verification_failures": verification_failures(runs),
        "reproduce": f"gitops-ml reproduce {pick['id']} --verify" if pick else None,
        "reproduce_run": pick["id"] if pick else None,
        "remotes": remotes,
        "sync": "gitops-ml sync" if remotes else "git remote add origin URL && gitops-ml sync",
    }


def _print(page: dict[str, Any]) -> None:
    from gitops_ml.ui.render import fmt, print_table, short_ids

    if not page["runs"]:
        print("No runs yet. Record one: gitops-ml run -- python train.py")
    else:
        people = ", ".join(f"{u} ({n})" for u, n in page["by_user"].items())
        print(
            f"Runs: {page['runs']} ({page['runs'] - page['failed']} ok, {page['failed']} failed), "
            f"by {len(page['by_user'])} people: {people}"
        )
    print()
    primary = page["primary"]
    if not primary:
        print(
            "Best runs: no primary metric; set 'primary:' in gitops-ml.yaml (e.g. accuracy or -loss)"
        )
    elif not page["best"]:
        print(f"Best runs: no successful run has the metric '{primary.lstrip('-')}' yet")
    else:
        order = "lower" if primary.startswith("-") else "higher"
        short = short_ids([b["id"] for b in page["best"]])
        print_table(
            f"Best runs by {primary.lstrip('-')} ({order} is better)",
            ["run", "name", primary.lstrip("-"), "user", "started", "status"],
            [
                [
                    short[b["id"]],
                    fmt(b["name"]),
                    fmt(b["metric"]),
                    fmt(b["user"]),
                    fmt(b["started"]),
                    b["status"],
                ]
                for b in page["best"]
            ],
        )
    print()
    if not page["deployed"]:
        print(
            "Deployed: nothing yet (no refs/deploy/* in this clone; 'gitops-ml sync' fetches them)"
        )
    else:
        print("Deployed:")
        for d in page["deployed"]:
            what = f"run {d['run']}" if d["run"] else d["summary"] or d["commit"][:12]
            print(
                f"  {d['environment']}: {what} ({d['deploys']} deploys in the chain, head {d['commit'][:12]})"
            )
    print()
    fails = page["verification_failures"]
    if not fails:
        print("Open verification failures: none")
    else:
        print("Open verification failures (metrics did not reproduce):")
        for f in fails:
            by = f["verify"].get("by")
            print(
                f"  {f['run']}{' ' + f['name'] if f['name'] else ''}"
                + (f" (checked by run {by})" if by else "")
            )
    print()
    if page["reproduce"]:
        which = "best" if page["best"] else "latest successful"
        print(f"Reproduce the {which} run:\n  {page['reproduce']}")
        print()
    print(f"Get everybody's runs, notes and deploys:\n  {page['sync']}")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    page = gather(repo)
    if args.json:
        print_json(page)
    else:
        _print(page)
    return 0
