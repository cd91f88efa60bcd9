"""The ``deploy`` section's grammar: every problem is one ``deploy.<env>.<key>: ...`` line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitops_ml.core import deployconfig
from tests.conftest import cli, git, write

K8S_KNOWN = (
    "mode, image, name, namespace, replicas, port, entrypoint, branch, path, kubectl, templates"
)


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ({}, []),
        ({"staging": None}, []),
        ({"staging": {"target": "command", "command": "./ship.sh"}}, []),
        ({"staging": {"command": ["python", "ship.py"], "remote": "origin"}}, []),
        (
            {"p": {"target": "kubernetes", "kubernetes": {"image": "i:{run}", "replicas": 0}}},
            [],
        ),
        (None, ["deploy: must be a mapping of environment names to settings"]),
        (["production"], ["deploy: must be a mapping of environment names to settings"]),
        ({"p": "kubernetes"}, ["deploy.p: must be a mapping of settings"]),
        (
            {"p": {"colour": "red"}},
            [
                "deploy.p: unknown key 'colour' (known: require_verified, remote, target, "
                "command, github_deployment, kubernetes)"
            ],
        ),
        (
            {"p": {"target": "rocket"}},
            ["deploy.p.target: must be one of none, command, kubernetes, not 'rocket'"],
        ),
        ({"p": {"require_verified": "yes"}}, ["deploy.p.require_verified: must be true or false"]),
        ({"p": {"remote": 1}}, ["deploy.p.remote: must be a remote name or URL"]),
        (
            {"p": {"github_deployment": "sometimes"}},
            ["deploy.p.github_deployment: must be auto, true or false"],
        ),
        ({"p": {"target": "command"}}, ["deploy.p.command: required by target 'command'"]),
        (
            {"p": {"command": "  "}},
            ["deploy.p.command: must be a command line or a list of arguments"],
        ),
        (
            {"p": {"command": ["ship", 1]}},
            ["deploy.p.command: must be a command line or a list of arguments"],
        ),
        (
            {"p": {"command": []}},
            ["deploy.p.command: must be a command line or a list of arguments"],
        ),
        (
            {"p": {"target": "kubernetes"}},
            ["deploy.p.kubernetes: required (a mapping) by target 'kubernetes'"],
        ),
        (
            {"p": {"target": "kubernetes", "kubernetes": "yes"}},
            [
                "deploy.p.kubernetes: required (a mapping) by target 'kubernetes'",
                "deploy.p.kubernetes: must be a mapping",
            ],
        ),
        (
            {"p": {"kubernetes": {}}},
            ["deploy.p.kubernetes.image: required: the container image (may contain {run})"],
        ),
        (
            {
                "p": {
                    "kubernetes": {
                        "image": "",
                        "mode": "helm",
                        "colour": "red",
                        "replicas": -1,
                        "port": True,
                        "name": 3,
                        "templates": ["a"],
                        "kubectl": "kubectl",
                    }
                }
            },
            [
                f"deploy.p.kubernetes: unknown key 'colour' (known: {K8S_KNOWN})",
                "deploy.p.kubernetes.mode: must be gitops or apply, not 'helm'",
                "deploy.p.kubernetes.image: required: the container image (may contain {run})",
                "deploy.p.kubernetes.replicas: must be a non-negative integer",
                "deploy.p.kubernetes.port: must be a non-negative integer",
                "deploy.p.kubernetes.name: must be a string",
                "deploy.p.kubernetes.templates: must be a string",
                "deploy.p.kubernetes.kubectl: must be a list of arguments, e.g. "
                "[kubectl, --context, prod]",
            ],
        ),
        (
            {"p": {"kubernetes": {"image": "i", "port": "80"}}, "q": {"target": "x"}},
            [
                "deploy.p.kubernetes.port: must be a non-negative integer",
                "deploy.q.target: must be one of none, command, kubernetes, not 'x'",
            ],
        ),
    ],
)
def test_problems(deploy: Any, expected: list[str]) -> None:
    assert deployconfig.problems(deploy) == expected


def test_settings_fill_in_the_defaults() -> None:
    assert deployconfig.settings({}, "staging") == {
        "require_verified": False,
        "target": "none",
        "github_deployment": "auto",
    }
    deploy = {"prod": {"target": "kubernetes", "kubernetes": {"image": "i", "replicas": 3}}}
    got = deployconfig.settings(deploy, "prod")
    assert got["kubernetes"] == {
        "image": "i",
        "replicas": 3,
        "mode": "gitops",
        "name": "model",
        "namespace": "default",
        "port": 8080,
        "entrypoint": "model:predict",
        "branch": "gitops-ml/manifests",
        "path": "prod",
        "kubectl": ["kubectl"],
    }
    assert deploy["prod"]["kubernetes"] == {"image": "i", "replicas": 3}  # not changed


@pytest.mark.parametrize(
    ("yaml", "words"),
    [
        ("  production:\n    require_verified: 1\n", "deploy.production.require_verified: must be"),
        ("  production:\n    remote: [a]\n", "deploy.production.remote: must be a remote"),
        ("  production:\n    github_deployment: maybe\n", "github_deployment: must be auto"),
        ("  production:\n    target: command\n", "deploy.production.command: required"),
        ("  production:\n    target: kubernetes\n", "kubernetes: required (a mapping)"),
        (
            "  production:\n    kubernetes: {image: i, replicas: many}\n",
            "deploy.production.kubernetes.replicas: must be a non-negative integer",
        ),
    ],
)
def test_a_bad_deploy_section_is_one_line_and_exit_2(tmp_path: Path, yaml: str, words: str) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path / "gitops-ml.yaml", "params: params.json\ndeploy:\n" + yaml)
    proc = cli(tmp_path, "deploy", "production", "abc")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("gitops-ml: error: gitops-ml.yaml:3: "), proc.stderr
    assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert git(tmp_path, "for-each-ref", "refs/deploy/") == ""
