"""What the network hooks share: a bounded sync that warns instead of failing."""

from __future__ import annotations

import os
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.errors import OK
from gitops_ml.sync import gitsync

DEFAULT_TIMEOUT = 60.0


def timeout() -> float:
    """Seconds a hook waits for the remote (``GITOPS_ML_HOOK_TIMEOUT``, default 60)."""
    try:
        return float(os.environ.get("GITOPS_ML_HOOK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def sync_or_warn(prog: str, repo: gitstore.Repo, target: gitsync.Remote, *, push: bool) -> int:
    """Sync with ``target``; any failure is a warning on stderr. Always returns 0."""
    try:
        report = gitsync.sync(repo, target, push=push, timeout=timeout(), attempts=4)
    except Exception as exc:
        what = "pushed" if push else "fetched"
        later = "gitops-ml sync" + ("" if target.arg == "origin" else f" {target.arg}")
        text = gitsync.redact(f"{exc}; runs and notes were not {what} (run '{later}' later)")
        print(f"{prog}: warning: {text}", file=sys.stderr)
        return OK
    if report.fetched_runs or report.pushed_runs or report.notes != "unchanged":
        print(f"{prog}: {report.summary()}", file=sys.stderr)
    for line in report.warnings():
        print(f"{prog}: warning: {line}", file=sys.stderr)
    return OK
