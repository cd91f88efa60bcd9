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


OWN_DEPLOYMENT = """\
kind: Deployment
metadata:
  name: ${name}
  labels: {run: ${run}}
spec:
  replicas: ${replicas}
  image: ${image}  # run ${run_text}
"""


def test_own_templates_and_a_redeploy_that_changes_nothing(tmp_path: Path) -> None:
    """The environment's own templates (without the optional ServiceMonitor and Dockerfile)
    are rendered; deploying the same run again records a deploy but commits nothing."""
    root = model_project(tmp_path / "p", GITOPS + "      templates: k8s\n")
    (root / "k8s").mkdir()
    (root / "k8s" / "deployment.yaml").write_text(OWN_DEPLOYMENT)
    (root / "k8s" / "service.yaml").write_text("kind: Service\nmetadata: {name: ${name}}\n")
    run = record(root, 0.1)
    proc = cli(root, "deploy", "production", run)
    assert proc.returncode == 0, proc.stderr
    first = history(root, "production")[0]["target"]
    assert first["files"] == ["deployment.yaml", "service.yaml"] and first["changed"] is True
    files = git(root, "ls-tree", "-r", "--name-only", "manifests").split()
    assert files == ["clusters/prod/churn/deployment.yaml", "clusters/prod/churn/service.yaml"]
    shown = git(root, "show", "manifests:clusters/prod/churn/deployment.yaml")
    assert shown == OWN_DEPLOYMENT.replace("${name}", '"churn-model"').replace(
        "${run}", json.dumps(run)
    ).replace("${replicas}", "2").replace(
        "${image}", json.dumps(f"registry.example/model:{run.lower()}")
    ).replace("${run_text}", run)
    proc = cli(root, "deploy", "production", run, "--why", "again")
    assert proc.returncode == 0, proc.stderr
    again = history(root, "production")[0]["target"]
    assert again["changed"] is False and again["commit"] == first["commit"]
    assert len(git(root, "log", "--format=%H", "manifests").split()) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            ("templates: k8s", "templates: ../outside"),
            "kubernetes.templates '../outside' is outside",
        ),
        (("templates: k8s", "templates: nope"), "kubernetes.templates 'nope': no such directory"),
        (("templates: k8s", "templates: k8s-partial"), "k8s-partial/service.yaml is missing"),
        (("templates: k8s", "templates: k8s-typo"), "deployment.yaml: bad placeholder 'colour'"),
        (("branch: manifests", "branch: bad..branch"), "'bad..branch' is not a valid branch name"),
        (("path: clusters/prod/churn", "path: a/../.."), "the GitOps path must be a directory"),
        (("path: clusters/prod/churn", "path: /"), "'': the GitOps path must be a directory"),
    ],
)
def test_bad_templates_branch_or_path_are_one_line_and_record_nothing(
    tmp_path: Path, change: tuple[str, str], words: str
) -> None:
    root = model_project(tmp_path / "p", (GITOPS + "      templates: k8s\n").replace(*change))
    for name, text in (
        ("k8s/deployment.yaml", OWN_DEPLOYMENT),
        ("k8s/service.yaml", "kind: Service\n"),
        ("k8s-partial/deployment.yaml", OWN_DEPLOYMENT),
        ("k8s-typo/deployment.yaml", OWN_DEPLOYMENT + "colour: ${colour}\n"),
        ("k8s-typo/service.yaml", "kind: Service\n"),
    ):
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "outside").mkdir()
    proc = cli(root, "deploy", "production", record(root, 0.1))
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert history(root, "production") == []
    assert git(root, "branch", "--list", "manifests", "bad..branch") == ""


def test_apply_mode_without_kubectl_is_exit_3(tmp_path: Path) -> None:
    config = GITOPS.replace("mode: gitops", "mode: apply") + "      kubectl: [no-such-kubectl]\n"
    root = model_project(tmp_path / "p", config)
    proc = cli(root, "deploy", "production", record(root, 0.1))
    assert proc.returncode == 3
    assert "no-such-kubectl: not found (deploy.production.kubernetes.kubectl)" in proc.stderr
    assert history(root, "production") == []


def test_a_local_manifests_branch_ahead_of_the_remote_is_pushed_on_top(
    tmp_path: Path, bare_remote: Path
) -> None:
    root = model_project(tmp_path / "p", GITOPS)
    git(root, "remote", "add", "origin", str(bare_remote))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    a, b, c = record(root, 0.1), record(root, 0.2), record(root, 0.3)
    assert cli(root, "deploy", "production", a).returncode == 0
    proc = cli(root, "deploy", "production", b, "--no-push")  # this clone only: ahead
    assert proc.returncode == 0, proc.stderr
    assert git(bare_remote, "log", "--format=%s", "manifests").splitlines() == [
        f"deploy production: run {a}"
    ]
    proc = cli(root, "deploy", "production", c)
    assert proc.returncode == 0, proc.stderr
    assert git(bare_remote, "log", "--format=%s", "manifests").splitlines() == [
        f"deploy production: run {c}",
        f"deploy production: run {b}",
        f"deploy production: run {a}",
    ]
    chain = git(bare_remote, "log", "--first-parent", "--format=%s", "refs/deploy/production")
    assert chain.splitlines() == [f"deploy production: {r}" for r in (c, b, a)]
