"""``gitops-ml-link-commit`` (post-commit): link a new commit to the runs whose code it is.

When the new HEAD's tree equals the code snapshot of a run made on HEAD^ (the work tree
as it was, uncommitted changes included), two notes lines are appended: on the run commit
``{"type":"link","commit":HEAD,"run":ID}`` and on HEAD ``{"type":"code-of","run":ID}``, so
``git log --notes=gitops-ml`` shows "this commit is the code of run X".

Fast: the runs made on HEAD^ can only have started after HEAD^ was committed, and run ids
begin with their start time; so one ``for-each-ref`` of ``refs/runs/`` (names only) picks
the runs started since (less an hour for clock skew), and one ``cat-file --batch`` reads
HEAD and only those runs' commits. Nothing else is listed or walked.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from gitops_ml.core import gitstore, ids
from gitops_ml.core.facts import parse_facts

_NOTES = gitstore.NOTES_REF


def _note(cat: gitstore.CatFile, commit: str) -> list[str]:
    """The note lines on ``commit``, wherever git's fan-out put the note."""
    for depth in range(4):
        path = "/".join([commit[2 * i : 2 * i + 2] for i in range(depth)] + [commit[2 * depth :]])
        got = cat.get(f"{_NOTES}:{path}")
        if got is not None and got[1] == "blob":
            return [ln for ln in got[2].decode(errors="replace").splitlines() if ln.strip()]
    return []


def link_head(repo: gitstore.Repo) -> list[str]:
    """Link HEAD to the runs whose snapshot it commits; returns the linked run ids."""
    cat = gitstore.shared_cat(repo)
    head = cat.get("HEAD")
    if head is None:
        return []
    head_sha, _, content = head
    headers = content.split(b"\n\n", 1)[0].decode().splitlines()
    tree = headers[0].split()[1]
    parents = [h.split()[1] for h in headers if h.startswith("parent ")]
    if len(parents) != 1:
        return []
    base = parents[0]
    candidates = _runs_since(repo, cat, base)
    if not candidates:
        return []
    done = {
        str(f.get("run")) for f in parse_facts(_note(cat, head_sha)) if f.get("type") == "code-of"
    }
    lines: dict[str, str] = {}
    linked: list[str] = []
    for run_id, commit in candidates.items():
        if run_id in done:
            continue
        got = cat.get(commit)
        if got is None:
            continue
        run_sha, _, run_commit = got
        run_headers = run_commit.split(b"\n\n", 1)[0].decode().splitlines()
        run_tree = run_headers[0].split()[1]
        run_parents = [h.split()[1] for h in run_headers if h.startswith("parent ")]
        if run_tree == tree and run_parents == [base]:
            lines[run_sha] = _dumps({"type": "link", "commit": head_sha, "run": run_id})
            linked.append(run_id)
    if linked:
        lines[head_sha] = "\n".join(_dumps({"type": "code-of", "run": r}) for r in linked)
        gitstore.append_notes(repo, lines, f"gitops-ml: link {head_sha[:12]} to its runs\n")
    return linked


_SKEW_MS = 3_600_000  # runs up to an hour "before" their base commit: clocks differ


def _runs_since(repo: gitstore.Repo, cat: gitstore.CatFile, base: str) -> dict[str, str]:
    """The runs (id: commit) that started after ``base`` was committed (less the skew),
    kept as refs or archived."""
    got = cat.get(base)
    if got is None:
        return {}
    committer = [h for h in got[2].split(b"\n\n", 1)[0].split(b"\n") if h.startswith(b"committer ")]
    try:
        since = int(committer[0].rsplit(b" ", 2)[1]) * 1000 - _SKEW_MS
    except (IndexError, ValueError):
        since = 0
    out = {}
    for run_id, commit in gitstore.list_runs(repo).items():
        started = ids.started_ms(run_id)
        if started is not None and started >= since:
            out[run_id] = commit
    return out


def _dumps(item: dict[str, str]) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the post-commit hook (never fails the commit)."""
    parser = argparse.ArgumentParser(
        prog="gitops-ml-link-commit",
        description="post-commit: note that HEAD is the code of runs made on its parent",
    )
    parser.parse_args(argv)
    try:
        repo = gitstore.open_repo()
        linked = link_head(repo)
    except Exception as exc:  # a post-commit hook cannot undo the commit: warn only
        print(f"gitops-ml-link-commit: warning: {exc}", file=sys.stderr)
        return 0
    for run_id in linked:
        print(f"gitops-ml: this commit is the code of run {run_id}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
