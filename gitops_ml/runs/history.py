"""A branch's history with the runs made on each commit (``gitops-ml log``).

Which runs were made on a commit is their commits' parent (storage contract v2: no notes
line on the commit), read from the query index; each commit's runs are ranked by the
primary metric (``-name``: lower is better), failed runs and runs without it last.
"""

from __future__ import annotations

import math

from gitops_ml.core import git, gitstore

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def commits(repo: gitstore.Repo, rev: str, limit: int) -> list[dict[str, Any]]:
    """``{commit, short, subject, author, date}`` of the first-parent history of ``rev``."""
    fmt = "%H%x1f%h%x1f%s%x1f%an%x1f%aI"
    args = ["log", "--first-parent", f"--format={fmt}", "-z"]
    if limit > 0:
        args.append(f"-n{limit}")
    proc = git.run([*args, rev, "--"], repo.top, check=False)
    if proc.returncode != 0:
        from gitops_ml.core.errors import UsageError

        raise UsageError(f"{rev!r} is not a commit of this repository")
    out = []
    for item in proc.stdout.decode(errors="replace").split("\0"):
        parts = item.strip("\n").split("\x1f")
        if len(parts) == 5:
            out.append(
                dict(zip(("commit", "short", "subject", "author", "date"), parts, strict=True))
            )
    return out


def _score(rec: dict[str, Any], name: str, lower: bool) -> tuple[int, float]:
    value = (rec.get("metrics") or {}).get(name)
    ok = rec.get("exit_code") == 0
    if not ok or not isinstance(value, (int, float)) or isinstance(value, bool):
        return (1, 0.0)
    if not math.isfinite(float(value)):
        return (1, 0.0)
    return (0, float(value) if lower else -float(value))


def rank(runs: list[dict[str, Any]], primary: str | None) -> list[dict[str, Any]]:
    """``runs`` best first by ``primary`` (newest first when there is none)."""
    newest = sorted(runs, key=lambda r: str(r.get("id")), reverse=True)
    if not primary:
        return newest
    name, lower = primary.lstrip("-"), primary.startswith("-")
    return sorted(newest, key=lambda r: _score(r, name, lower))


def history(
    repo: gitstore.Repo, rev: str = "HEAD", limit: int = 20, primary: str | None = None
) -> list[dict[str, Any]]:
    """Each commit of ``rev``'s history with ``runs`` (how many) and ``best`` (the
    records of its runs, best first)."""
    from gitops_ml.runs import index

    shown = commits(repo, rev, limit)
    wanted = {c["commit"] for c in shown}
    by_base: dict[str, list[dict[str, Any]]] = {}
    for rec in index.load(repo).runs():
        base = (rec.get("git") or {}).get("base")
        if base in wanted:
            by_base.setdefault(str(base), []).append(rec)
    for c in shown:
        found = by_base.get(c["commit"], [])
        c_any: dict[str, Any] = c
        c_any["runs"] = len(found)
        c_any["best"] = rank(found, primary)
    return shown
