"""The ``deploy`` key of ``gitops-ml.yaml``: one mapping per environment.

::

    deploy:
      production:
        require_verified: true        # refuse a run that was never verified (default false)
        remote: origin                # where the chain is pushed (default: origin if any)
        target: kubernetes            # none | command | kubernetes (default none)
        command: ["./ship.sh"]        # target command: run id, model paths and hashes in env
        github_deployment: auto       # auto (in GitHub Actions) | true | false
        kubernetes:
          mode: gitops                # gitops (commit to a branch) | apply (kubectl apply)
          image: ghcr.io/me/model:{run}
          name: model
          namespace: default
          replicas: 1
          port: 8080
          entrypoint: model:predict
          branch: gitops-ml/manifests # gitops: the branch Argo CD / Flux watch
          path: production            # gitops: the directory on that branch
          kubectl: [kubectl]          # apply: the kubectl command (add --context etc.)
          templates: deploy/k8s       # optional: your own templates instead of ours

Every problem is ``deploy.<env>.<key>: what is wrong`` (exit 2 when deploying).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

TARGETS = ("none", "command", "kubernetes")
ENV_KEYS = (
    "require_verified",
    "remote",
    "target",
    "command",
    "github_deployment",
    "kubernetes",
)
K8S_KEYS = (
    "mode",
    "image",
    "name",
    "namespace",
    "replicas",
    "port",
    "entrypoint",
    "branch",
    "path",
    "kubectl",
    "templates",
)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def problems(deploy: Any) -> list[str]:
    """Everything wrong with the ``deploy`` mapping (empty when it is fine)."""
    if not isinstance(deploy, dict):
        return ["deploy: must be a mapping of environment names to settings"]
    out: list[str] = []
    for env, raw in deploy.items():
        where = f"deploy.{env}"
        if raw is None:
            continue
        if not isinstance(raw, dict):
            out.append(f"{where}: must be a mapping of settings")
            continue
        for check in _ENV_CHECKS:
            out += check(where, raw)
    return out


def _unknown_keys(where: str, raw: dict[str, Any]) -> list[str]:
    return [
        f"{where}: unknown key '{k}' (known: {', '.join(ENV_KEYS)})"
        for k in raw
        if k not in ENV_KEYS
    ]


def _target(where: str, raw: dict[str, Any]) -> list[str]:
    target = raw.get("target", "none")
    if target not in TARGETS:
        return [f"{where}.target: must be one of {', '.join(TARGETS)}, not {target!r}"]
    return []


def _require_verified(where: str, raw: dict[str, Any]) -> list[str]:
    if "require_verified" in raw and not isinstance(raw["require_verified"], bool):
        return [f"{where}.require_verified: must be true or false"]
    return []


def _remote(where: str, raw: dict[str, Any]) -> list[str]:
    if "remote" in raw and not isinstance(raw["remote"], str):
        return [f"{where}.remote: must be a remote name or URL"]
    return []


def _github_deployment(where: str, raw: dict[str, Any]) -> list[str]:
    if raw.get("github_deployment", "auto") not in ("auto", True, False):
        return [f"{where}.github_deployment: must be auto, true or false"]
    return []


def _command(where: str, raw: dict[str, Any]) -> list[str]:
    out = []
    cmd = raw.get("command")
    if raw.get("target") == "command" and cmd is None:
        out.append(f"{where}.command: required by target 'command'")
    if cmd is not None and not (isinstance(cmd, str) and cmd.strip()) and not _str_list(cmd):
        out.append(f"{where}.command: must be a command line or a list of arguments")
    return out


def _kubernetes(where: str, raw: dict[str, Any]) -> list[str]:
    k8s = raw.get("kubernetes")
    if isinstance(k8s, dict):
        return _k8s_problems(f"{where}.kubernetes", k8s)
    out = []
    if raw.get("target") == "kubernetes":
        out.append(f"{where}.kubernetes: required (a mapping) by target 'kubernetes'")
    if k8s is not None:
        out.append(f"{where}.kubernetes: must be a mapping")
    return out


def _k8s_problems(where: str, k8s: dict[str, Any]) -> list[str]:
    out = [
        f"{where}: unknown key '{k}' (known: {', '.join(K8S_KEYS)})"
        for k in k8s
        if k not in K8S_KEYS
    ]
    mode = k8s.get("mode", "gitops")
    if mode not in ("gitops", "apply"):
        out.append(f"{where}.mode: must be gitops or apply, not {mode!r}")
    if not isinstance(k8s.get("image"), str) or not k8s["image"]:
        out.append(f"{where}.image: required: the container image (may contain {{run}})")
    for key in ("replicas", "port"):
        value = k8s.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            out.append(f"{where}.{key}: must be a non-negative integer")
    for key in ("name", "namespace", "entrypoint", "branch", "path", "templates"):
        if key in k8s and not isinstance(k8s[key], str):
            out.append(f"{where}.{key}: must be a string")
    if "kubectl" in k8s and not _str_list(k8s["kubectl"]):
        out.append(f"{where}.kubectl: must be a list of arguments, e.g. [kubectl, --context, prod]")
    return out


# The checks of one environment's mapping, in the order their problems are listed.
_ENV_CHECKS: tuple[Callable[[str, dict[str, Any]], list[str]], ...] = (
    _unknown_keys,
    _target,
    _require_verified,
    _remote,
    _github_deployment,
    _command,
    _kubernetes,
)


def settings(deploy: dict[str, Any], env: str) -> dict[str, Any]:
    """The settings of one environment, defaults filled in (an unknown one: record only)."""
    raw = dict(deploy.get(env) or {})
    raw.setdefault("require_verified", False)
    raw.setdefault("target", "none")
    raw.setdefault("github_deployment", "auto")
    if isinstance(raw.get("kubernetes"), dict):
        k8s = dict(raw["kubernetes"])
        k8s.setdefault("mode", "gitops")
        k8s.setdefault("name", "model")
        k8s.setdefault("namespace", "default")
        k8s.setdefault("replicas", 1)
        k8s.setdefault("port", 8080)
        k8s.setdefault("entrypoint", "model:predict")
        k8s.setdefault("branch", "gitops-ml/manifests")
        k8s.setdefault("path", env)
        k8s.setdefault("kubectl", ["kubectl"])
        raw["kubernetes"] = k8s
    return raw
