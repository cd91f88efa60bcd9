"""Deploy targets: what a deploy does besides recording it (none, command, kubernetes)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from gitops_ml.core import gitstore
from gitops_ml.core.config import Config
from gitops_ml.core.errors import UsageError
from gitops_ml.deploy import models

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.sync.gitsync import Remote


def run_command(
    repo: gitstore.Repo,
    cfg: Config,
    env: str,
    *,
    settings: dict[str, Any],
    rec: dict[str, Any],
    event: dict[str, Any],
) -> dict[str, Any]:
    """The ``command`` target: the user's command, with the run and its models (pulled
    from the store and verified) in its environment. Its output goes to our stderr."""
    raw = settings["command"]
    argv = shlex.split(raw) if isinstance(raw, str) else list(raw)
    model_dir = repo.state_dir / "deploy" / env / rec["id"]
    paths = models.materialize(repo, cfg, rec, model_dir)
    child = dict(os.environ)
    child.update(
        {
            "GITOPS_ML_RUN_ID": rec["id"],
            "GITOPS_ML_ENVIRONMENT": env,
            "GITOPS_ML_ACTION": event["action"],
            "GITOPS_ML_PREVIOUS_RUN": event.get("previous") or "",
            "GITOPS_ML_MODEL_DIR": str(model_dir),
            "GITOPS_ML_MODEL_PATHS": os.pathsep.join(str(p) for p in paths),
            "GITOPS_ML_MODEL_HASHES": json.dumps(
                {m["path"]: m["hash"] for m in event["models"]}, sort_keys=True
            ),
        }
    )
    sys.stdout.flush()
    try:
        proc = subprocess.run(argv, cwd=repo.top, env=child, stdout=sys.stderr.fileno())
    except FileNotFoundError:
        raise UsageError(f"deploy.{env}.command: {argv[0]}: command not found") from None
    except PermissionError:
        raise UsageError(f"deploy.{env}.command: {argv[0]}: permission denied") from None
    return {"kind": "command", "ok": proc.returncode == 0, "exit_code": proc.returncode}


def run_target(
    repo: gitstore.Repo,
    cfg: Config,
    env: str,
    *,
    settings: dict[str, Any],
    rec: dict[str, Any],
    event: dict[str, Any],
    remote: Remote | None = None,
) -> dict[str, Any]:
    """Carry out the environment's target; returns its result (``ok`` says if it worked)."""
    kind = settings.get("target", "none")
    if kind == "command":
        return run_command(repo, cfg, env, settings=settings, rec=rec, event=event)
    if kind == "kubernetes":
        from gitops_ml.deploy import kubernetes

        return kubernetes.deploy(repo, env, settings["kubernetes"], event, remote)
    return {"kind": "none", "ok": True}
