"""Pushing a deploy chain link to a remote with a lease: a lost race is told, never lost."""

from __future__ import annotations

import subprocess

from gitops_ml.core import git, gitstore
from gitops_ml.core.errors import EnvironmentProblem
from gitops_ml.sync.gitsync import Remote

# Words in git push's per-ref summary that mean another writer moved the ref first.
_RACE = (
    "stale info",
    "fetch first",
    "non-fast-forward",
    "already exists",
    "cannot lock ref",
    "failed to lock",
    "failed to update ref",
)


class LostRace(Exception):
    """The remote's chain moved since we read it."""


def push_link(
    repo: gitstore.Repo, remote: Remote, ref: str, commit: str, expected: str | None
) -> None:
    """Push ``commit`` to ``ref`` on ``remote`` only if the remote still has ``expected``
    there (None: no such ref). Raises :class:`LostRace` when it does not."""
    lease = f"--force-with-lease={ref}:{expected or ''}"
    try:
        proc = subprocess.run(
            ["git", "push", "--porcelain", "--no-verify", lease, remote.arg, f"{commit}:{ref}"],
            cwd=repo.top,
            env=git.git_env(),
            capture_output=True,
        )
    except FileNotFoundError:
        git.git_exe()
        raise
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].endswith(":" + ref):
            if parts[0] == "!":
                if any(w in parts[2].lower() for w in _RACE):
                    raise LostRace(parts[2])
                raise EnvironmentProblem(f"{remote.label} refused {ref}: {parts[2]}")
            return
    reason = next(
        (ln.strip() for ln in err.splitlines() if ln.lower().startswith(("fatal:", "error:"))),
        err.strip().splitlines()[-1] if err.strip() else f"git push exited {proc.returncode}",
    )
    raise EnvironmentProblem(f"cannot push {ref} to {remote.label}: {reason}")
