"""The Kubernetes target: manifests rendered from templates, committed (GitOps) or applied.

Templates (``templates/kubernetes/`` of gitops-ml, or ``kubernetes.templates`` of the
environment) use ``${placeholder}`` (:class:`string.Template`); every value goes in as a
quoted YAML/JSON string (``${port}`` and ``${replicas}`` as numbers; ``*_text`` variants
are the plain text, for comments), so no value can break the document's structure.
"""

from __future__ import annotations

import json
import re
import string
import subprocess
from pathlib import Path

from gitops_ml.core import deploychain, gitstore, retry
from gitops_ml.core.errors import EnvironmentProblem, UsageError
from gitops_ml.core.templates import template_dir

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

    from gitops_ml.sync.gitsync import Remote

MANIFESTS = ("deployment.yaml", "service.yaml", "servicemonitor.yaml")
DOCKERFILE = "Dockerfile"
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _templates(repo: gitstore.Repo, k8s: dict[str, Any]) -> Path:
    own = k8s.get("templates")
    if own:
        path = (repo.top / own).resolve()
        if repo.top.resolve() not in path.parents and path != repo.top.resolve():
            raise UsageError(f"kubernetes.templates {own!r} is outside the repository")
        if not path.is_dir():
            raise UsageError(f"kubernetes.templates {own!r}: no such directory")
        return Path(path)
    return template_dir() / "kubernetes"


def values(env: str, k8s: dict[str, Any], event: dict[str, Any]) -> dict[str, str]:
    """The placeholder values for one deploy event."""
    for key in ("name", "namespace"):
        if not _DNS1123.match(str(k8s[key])):
            raise UsageError(
                f"deploy.{env}.kubernetes.{key}: {k8s[key]!r} is not a Kubernetes name "
                "(lowercase letters, digits and '-', at most 63)"
            )
    run = str(event["run"])
    image = str(k8s["image"]).replace("{run}", run.lower()).replace("{environment}", env)
    models = event.get("models") or []
    model_hash = models[0]["hash"] if len(models) == 1 else ",".join(m["hash"] for m in models)
    plain = {
        "name": k8s["name"],
        "namespace": k8s["namespace"],
        "image": image,
        "run": run,
        "environment": env,
        "model_hash": model_hash or "none",
        "models": json.dumps({m["path"]: m["hash"] for m in models}, sort_keys=True),
        "entrypoint": k8s["entrypoint"],
        "dockerfile_path": f"{k8s['path']}/{DOCKERFILE}",
    }
    out = {k: json.dumps(str(v)) for k, v in plain.items()}
    out.update({f"{k}_text": str(v).replace("\n", " ") for k, v in plain.items()})
    out["port"] = str(int(k8s["port"]))
    out["port_text"] = json.dumps(str(int(k8s["port"])))
    out["replicas"] = str(int(k8s["replicas"]))
    return out


def render(
    repo: gitstore.Repo, env: str, k8s: dict[str, Any], event: dict[str, Any]
) -> dict[str, bytes]:
    """File name -> rendered content: the three manifests and the Dockerfile."""
    where = _templates(repo, k8s)
    vals = values(env, k8s, event)
    out: dict[str, bytes] = {}
    for name in (*MANIFESTS, DOCKERFILE):
        src = where / name
        if not src.is_file():
            if name in ("servicemonitor.yaml", DOCKERFILE):
                continue
            raise UsageError(f"kubernetes template {src} is missing")
        try:
            text = string.Template(src.read_text(encoding="utf-8")).substitute(vals)
        except (KeyError, ValueError) as exc:
            raise UsageError(f"kubernetes template {src}: bad placeholder {exc}") from None
        out[name] = text.encode()
    return out


def _fetch_branch(repo: gitstore.Repo, remote: Remote, branch: str) -> str | None:
    """The remote's tip of ``branch`` (None: it has none), and the local branch
    fast-forwarded to it when the local one is behind."""
    from gitops_ml.core import git

    track = f"refs/gitops-ml/remotes/{remote.slug}/heads/{branch}"
    proc = git.run(
        ["fetch", "-q", "--no-tags", remote.arg, f"+refs/heads/{branch}:{track}"],
        repo.top,
        check=False,
    )
    if proc.returncode != 0:
        text = proc.stderr.decode(errors="replace")
        if "couldn't find remote ref" in text:
            return None
        raise EnvironmentProblem(f"cannot fetch {branch} from {remote.label}: {text.strip()}")
    theirs = gitstore.resolve_ref(repo, track)
    mine = gitstore.resolve_ref(repo, f"refs/heads/{branch}")
    if theirs and mine != theirs:
        behind = (
            mine is None
            or not git.run(
                ["merge-base", "--is-ancestor", mine, theirs], repo.top, check=False
            ).returncode
        )
        if behind:
            gitstore.cas_ref(repo, f"refs/heads/{branch}", theirs, mine)
    return theirs


def _gitops(
    repo: gitstore.Repo,
    env: str,
    k8s: dict[str, Any],
    event: dict[str, Any],
    *,
    files: dict[str, bytes],
    remote: Remote | None,
) -> dict[str, Any]:
    from gitops_ml.deploy.remote import LostRace, push_link

    message = f"{event['action']} {env}: run {event['run']}\n\nby gitops-ml deploy\n"
    branch = k8s["branch"]
    for _ in retry.attempts(retry.REMOTE_ROUNDS):
        theirs = _fetch_branch(repo, remote, branch) if remote is not None else None
        commit, old = deploychain.commit_directory(repo, branch, k8s["path"], files, message)
        tip = commit or old
        if remote is not None and tip is not None and tip != theirs:
            try:
                push_link(repo, remote, f"refs/heads/{branch}", tip, theirs)
            except LostRace:
                continue
        return {
            "kind": "kubernetes",
            "mode": "gitops",
            "ok": True,
            "branch": branch,
            "path": k8s["path"],
            "commit": tip,
            "changed": commit is not None,
            "pushed": remote.label if remote is not None else None,
            "files": sorted(files),
        }
    return {"kind": "kubernetes", "mode": "gitops", "ok": False, "error": f"{branch} kept moving"}


def deploy(
    repo: gitstore.Repo,
    env: str,
    k8s: dict[str, Any],
    event: dict[str, Any],
    remote: Remote | None = None,
) -> dict[str, Any]:
    """Render, then commit (gitops; pushed to ``remote`` with a lease) or ``kubectl apply``
    (apply); returns the target's result."""
    files = render(repo, env, k8s, event)
    if k8s["mode"] == "gitops":
        return _gitops(repo, env, k8s, event, files=files, remote=remote)
    manifests = b"---\n".join(files[n] for n in MANIFESTS if n in files)
    cmd = [*k8s["kubectl"], "apply", "-f", "-"]
    try:
        proc = subprocess.run(cmd, input=manifests, capture_output=True, cwd=repo.top)
    except FileNotFoundError:
        raise EnvironmentProblem(f"{cmd[0]}: not found (deploy.{env}.kubernetes.kubectl)") from None
    tail = proc.stderr.decode(errors="replace").strip().splitlines()
    return {
        "kind": "kubernetes",
        "mode": "apply",
        "ok": proc.returncode == 0,
        "exit_code": proc.returncode,
        "output": proc.stdout.decode(errors="replace")[-2000:],
        "error": tail[-1] if tail and proc.returncode else None,
    }
