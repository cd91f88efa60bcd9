"""hooks.catalog: the one hook list; every other place a hook is described is made from
it or checked against it here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from gitops_ml.hooks import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_manifest_is_generated_from_the_catalog() -> None:
    shipped = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert shipped == catalog.manifest_text(), (
        "regenerate: python -m gitops_ml.hooks.catalog > .pre-commit-hooks.yaml"
    )
    assert yaml.safe_load(shipped) == catalog.manifest_hooks()


def test_manifest_fields() -> None:
    for entry in catalog.manifest_hooks():
        assert entry["language"] == "python"
        assert entry["entry"] == entry["id"]
        if entry["stages"] != ["pre-commit"]:
            assert entry["always_run"] is True and entry["pass_filenames"] is False
        else:
            assert "always_run" not in entry and "pass_filenames" not in entry


def test_local_hooks_share_the_manifest_fields() -> None:
    local = {h["id"]: h for h in catalog.local_hooks()}
    shipped = {h["id"]: h for h in catalog.manifest_hooks()}
    assert list(local) == list(shipped)
    for hook_id, hook in local.items():
        assert hook["language"] == "system" and hook["entry"] == hook_id
        for key in ("name", "files", "always_run", "pass_filenames", "stages"):
            assert hook.get(key) == shipped[hook_id].get(key), (hook_id, key)


def test_shims_in_hooks_dir_are_the_catalog_ones() -> None:
    shipped = sorted(p.name for p in (ROOT / "hooks").iterdir())
    assert shipped == sorted(catalog.GIT_HOOKS)
    for name in catalog.GIT_HOOKS:
        path = ROOT / "hooks" / name
        assert path.read_text() == catalog.shim_script(name), name
        assert path.stat().st_mode & 0o111
    with pytest.raises(KeyError):
        catalog.shim_script("pre-rebase")


def test_console_scripts_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    hooks = {k: v for k, v in scripts.items() if k != "gitops-ml"}
    assert hooks == catalog.console_scripts()


def test_every_hook_module_has_main_and_is_documented() -> None:
    import importlib

    readme = (ROOT / "README.md").read_text()
    for hook in catalog.HOOKS:
        module = importlib.import_module(f"gitops_ml.hooks.{hook.module}")
        assert callable(module.main), hook.id
        assert f"`{hook.id}`" in readme, hook.id


def test_git_hooks_are_every_stage_once() -> None:
    assert catalog.GIT_HOOKS == (
        "pre-commit",
        "post-commit",
        "pre-push",
        "post-merge",
        "post-checkout",
    )


def test_catalog_imports_nothing_heavy() -> None:
    import subprocess

    code = (
        "import sys, gitops_ml.hooks.catalog, gitops_ml.commands.hook; "
        "print(sorted(m for m in ('yaml', 'ruamel', 'rich', 'typing', 'dataclasses') "
        "if m in sys.modules))"
    )
    # without coverage's measurement (it imports typing itself in every measured process)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"
