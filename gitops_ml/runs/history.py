"""A branch's history with the runs made on each commit (``gitops-ml log``).

Which runs were made on a commit is their commits' parent (storage contract v2: no notes
line on the commit), read from the query index; each commit's runs are ranked by the
primary metric (``-name``: lower is better), failed runs and runs without it last.
"""

from __future__ import annotations

from gitops_ml.core import git, gitstore
from gitops_ml.runs.query import Sql

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


def rank_sql(primary: str | None) -> Sql | None:
    """The ``ORDER BY`` that ranks runs by ``primary`` (``-name``: lower is better):
    successful runs with a finite number first, best first; the rest after, newest first
    (the index breaks ties by id, newest first). None: newest first."""
    if not primary or '"' in primary:
        return None
    value = "json_extract(r.metrics, :metric)"
    finite = "r.exit_code = 0 AND json_type(r.metrics, :metric) IN ('integer', 'real')"
    way = "ASC" if primary.startswith("-") else "DESC"
    return Sql(
        f"CASE WHEN {finite} THEN 0 ELSE 1 END, CASE WHEN {finite} THEN {value} END {way}",
        {"metric": f'$."{primary.lstrip("-")}"'},
    )


def history(
    repo: gitstore.Repo,
    rev: str = "HEAD",
    limit: int = 20,
    primary: str | None = None,
    per_commit: int | None = None,
) -> list[dict[str, Any]]:
    """Each commit of ``rev``'s history with ``runs`` (how many were made on it) and
    ``best`` (the records of at most ``per_commit`` of them, best first). Answered by the
    index in SQL: only the records shown are parsed, whatever the number of runs."""
    from gitops_ml.runs import index

    shown = commits(repo, rev, limit)
    idx = index.load(repo)
    order = rank_sql(primary)
    for c in shown:
        c_any: dict[str, Any] = c
        c_any["runs"] = idx.count(here=c["commit"])
        c_any["best"] = (
            idx.records(here=c["commit"], order=order, limit=per_commit) if c_any["runs"] else []
        )
    return shown
