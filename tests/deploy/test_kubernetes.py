"""The Kubernetes target: manifests valid for a pinned Kubernetes, GitOps commits in a real
repository (and its remote), apply mode through a kubectl command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.conftest import cli, git
from tests.deploy.helpers import deployed, history, model_project, record

KUBERNETES_VERSION = "1.30.0"  # pinned: kubernetes-validate ships its schemas, offline

GITOPS = """\
deploy:
  production:
    target: kubernetes
    kubernetes:
      mode: gitops
      image: registry.example/model:{run}
      name: churn-model
      namespace: ml
      replicas: 2
      port: 8080
      entrypoint: serve_model:predict
      branch: manifests
      path: clusters/prod/churn
"""

# The part of the Prometheus Operator's ServiceMonitor CRD (monitoring.coreos.com/v1) that
# our template uses: not in kubernetes-validate (a CRD is not part of Kubernetes itself).
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        },
                    },
                },
            },
        },
    },
}


def _docs(root: Path, rev: str, path: str) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("deployment.yaml", "service.yaml", "servicemonitor.yaml"):
        text = git(root, "show", f"{rev}:{path}/{name}")
        out[name] = yaml.safe_load(text)
    return out


def _validate(docs: dict[str, dict[str, Any]]) -> None:
    for name in ("deployment.yaml", "service.yaml"):
        kubernetes_validate.validate(docs[name], KUBERNETES_VERSION, strict=True)
    jsonschema.validate(docs["servicemonitor.yaml"], SERVICE_MONITOR_SCHEMA)


def test_gitops_commit_in_a_real_repository(tmp_path: Path, bare_remote: Path) -> None:
    root = model_project(tmp_path / "p", GITOPS)
    git(root, "remote", "add", "origin", str(bare_remote))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    status_before = git(root, "status", "--porcelain")
    head_before = git(root, "rev-parse", "HEAD")
    a, b = record(root, 0.1), record(root, 0.2)
    proc = cli(root, "deploy", "production", a)
    assert proc.returncode == 0, proc.stderr
    ev = history(root, "production")[0]
    target = ev["target"]
    assert target["kind"] == "kubernetes" and target["mode"] == "gitops" and target["changed"]
    # the branch Argo CD / Flux watch: one commit holding the manifests, pushed
    assert git(root, "rev-parse", "refs/heads/manifests").strip() == target["commit"]
    assert git(bare_remote, "rev-parse", "refs/heads/manifests").strip() == target["commit"]
    files = git(root, "ls-tree", "-r", "--name-only", "manifests").split()
    assert sorted(files) == [
        "clusters/prod/churn/Dockerfile",
        "clusters/prod/churn/deployment.yaml",
        "clusters/prod/churn/service.yaml",
        "clusters/prod/churn/servicemonitor.yaml",
    ]
    docs = _docs(root, "manifests", "clusters/prod/churn")
    _validate(docs)
    dep = docs["deployment.yaml"]
    model_hash = ev["models"][0]["hash"]
    assert dep["metadata"]["labels"]["gitops-ml/run"] == a
    assert dep["metadata"]["annotations"]["gitops-ml/model-hash"] == model_hash
    assert dep["spec"]["template"]["metadata"]["labels"]["gitops-ml/run"] == a
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["namespace"] == "ml"
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"registry.example/model:{a.lower()}"
    assert container["args"][:4] == ["serve", a, "--entrypoint", "serve_model:predict"]
    assert docs["servicemonitor.yaml"]["metadata"]["labels"]["gitops-ml/run"] == a
    dockerfile = git(root, "show", "manifests:clusters/prod/churn/Dockerfile")
    assert f'"serve", "{a}"' in dockerfile
    # a second deploy is a second commit on that branch; a rollback a third
    assert cli(root, "deploy", "production", b).returncode == 0
    assert (
        _docs(root, "manifests", "clusters/prod/churn")["deployment.yaml"]["metadata"]["labels"][
            "gitops-ml/run"
        ]
        == b
    )
    assert cli(root, "rollback", "production").returncode == 0
    assert deployed(root, "production")["run"] == a
    log = git(root, "log", "--format=%s", "manifests").splitlines()
    assert log == [
        f"rollback production: run {a}",
        f"deploy production: run {b}",
        f"deploy production: run {a}",
    ]
    assert (
        _docs(root, "manifests", "clusters/prod/churn")["deployment.yaml"]["metadata"]["labels"][
            "gitops-ml/run"
        ]
        == a
    )
    # the user's branch, HEAD and work tree were never touched
    assert git(root, "rev-parse", "HEAD") == head_before
    assert git(root, "status", "--porcelain") == status_before


def test_gitops_branch_from_another_clone_is_built_upon(tmp_path: Path, bare_remote: Path) -> None:
    a = model_project(tmp_path / "a", GITOPS)
    git(a, "remote", "add", "origin", str(bare_remote))
    git(a, "push", "-q", "origin", "HEAD:refs/heads/main")
    run_a = record(a, 0.1)
    assert cli(a, "deploy", "production", run_a).returncode == 0
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(bare_remote), str(b))
    run_b = record(b, 0.2)
    assert cli(b, "deploy", "production", run_b).returncode == 0
    log = git(bare_remote, "log", "--format=%s", "manifests").splitlines()
    assert log == [f"deploy production: run {run_b}", f"deploy production: run {run_a}"]


def test_refuses_a_checked_out_branch(tmp_path: Path) -> None:
    root = model_project(tmp_path / "p", GITOPS.replace("branch: manifests", "branch: main"))
    run = record(root, 0.1)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 2 and "branch 'main' is checked out" in proc.stderr


def test_apply_mode_pipes_the_manifests_to_kubectl(tmp_path: Path) -> None:
    kubectl = tmp_path / "kubectl-stub"
    kubectl.write_text(
        "#!/bin/sh\n"
        'echo "$@" > "$(dirname "$0")/kubectl.args"\n'
        'cat > "$(dirname "$0")/kubectl.stdin"\n'
        'test -e "$(dirname "$0")/kubectl.fail" && { echo "error: connection refused" >&2; exit 1; }\n'
        'echo "deployment.apps/churn-model configured"\n'
    )
    kubectl.chmod(0o755)
    config = (
        GITOPS.replace("mode: gitops", "mode: apply")
        + f"      kubectl: [{kubectl}, --context, prod]\n"
    )
    root = model_project(tmp_path / "p", config)
    run = record(root, 0.1)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "kubectl.args").read_text().split() == [
        "--context",
        "prod",
        "apply",
        "-f",
        "-",
    ]
    docs = [d for d in yaml.safe_load_all((tmp_path / "kubectl.stdin").read_text()) if d]
    assert [d["kind"] for d in docs] == ["Deployment", "Service", "ServiceMonitor"]
    for doc in docs[:2]:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert history(root, "production")[0]["target"]["output"].startswith("deployment.apps")
    (tmp_path / "kubectl.fail").write_text("")
    proc = cli(root, "deploy", "production", record(root, 0.2))
    assert proc.returncode == 1 and "connection refused" in proc.stderr
    assert deployed(root, "production")["run"] == run


@pytest.mark.parametrize("name", ["Bad_Name", "x" * 70])
def test_names_kubernetes_refuses_are_refused_first(tmp_path: Path, name: str) -> None:
    root = model_project(tmp_path / "p", GITOPS.replace("name: churn-model", f"name: {name}"))
    proc = cli(root, "deploy", "production", record(root, 0.1))
    assert proc.returncode == 2 and "is not a Kubernetes name" in proc.stderr
    assert json.loads(cli(root, "deploy", "history", "production", "--json").stdout) == []
