"""init --hooks and init --pre-commit: install, chain, never overwrite, idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitops_ml.hooks.catalog import GIT_HOOKS, HOOKS, shim_script
from tests.conftest import cli, git, write

HOOK_STAGES = {h.id: h.stages for h in HOOKS}

ROOT = Path(__file__).resolve().parents[2]


def _init(repo: Path, *flags: str) -> list[str]:
    proc = cli(repo, "init", *flags)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_shipped_hooks_dir_matches_what_init_installs() -> None:
    for name in GIT_HOOKS:
        path = ROOT / "hooks" / name
        assert path.read_text() == shim_script(name), name
        assert path.stat().st_mode & 0o111


def test_install_is_idempotent(project: Path) -> None:
    lines = _init(project, "--hooks")
    hooks = project / ".git" / "hooks"
    for name in GIT_HOOKS:
        assert (hooks / name).read_text() == shim_script(name)
        assert f"installed the {name} hook" in "\n".join(lines)
    assert _init(project, "--hooks") == ["gitops-ml init: already configured, nothing changed"]


def test_existing_hook_is_chained_not_overwritten(project: Path) -> None:
    hooks = project / ".git" / "hooks"
    mine = "#!/bin/sh\necho my-own-hook >> hook-log.txt\nexit 0\n"
    write(hooks / "post-commit", mine).chmod(0o755)
    strict = "#!/bin/sh\necho 'lint failed' >&2\nexit 5\n"
    write(hooks / "pre-commit", strict).chmod(0o755)
    lines = "\n".join(_init(project, "--hooks"))
    assert "runs first, as post-commit.local" in lines
    assert (hooks / "post-commit.local").read_text() == mine
    assert (hooks / "pre-commit.local").read_text() == strict
    # the chained pre-commit still decides: its exit code blocks the commit
    proc = subprocess.run(
        ["git", "commit", "--allow-empty", "-m", "x"], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "lint failed" in proc.stderr
    (hooks / "pre-commit.local").unlink()
    git(project, "commit", "-q", "--allow-empty", "-m", "x")
    assert (project / "hook-log.txt").read_text() == "my-own-hook\n"
    assert _init(project, "--hooks") == ["gitops-ml init: already configured, nothing changed"]


def test_hook_and_local_both_present_is_left_alone(project: Path) -> None:
    hooks = project / ".git" / "hooks"
    write(hooks / "post-merge", "#!/bin/sh\nexit 0\n")
    write(hooks / "post-merge.local", "#!/bin/sh\nexit 0\n")
    lines = "\n".join(_init(project, "--hooks"))
    assert "left .git/hooks/post-merge alone: post-merge.local exists too" in lines
    assert (hooks / "post-merge").read_text() == "#!/bin/sh\nexit 0\n"


def test_core_hooks_path_is_honoured(project: Path) -> None:
    git(project, "config", "core.hooksPath", "my-hooks")
    _init(project, "--hooks")
    assert (project / "my-hooks" / "pre-push").read_text() == shim_script("pre-push")
    assert not (project / ".git" / "hooks" / "pre-push").exists()


def test_hooks_do_nothing_without_gitops_ml(project: Path) -> None:
    _init(project, "--hooks")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project)}
    for name in GIT_HOOKS:
        proc = subprocess.run(
            [str(project / ".git" / "hooks" / name)],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            input="",
        )
        assert (proc.returncode, proc.stderr) == (0, ""), name


EXISTING = """\
# my team's hooks
minimum_pre_commit_version: "3.2.0"
repos:
    # formatting first
    -   repo: https://github.com/psf/black
        rev: 24.1.0
        hooks:
        -   id: black
# trailing comment
"""


def test_pre_commit_config_written_then_unchanged(project: Path) -> None:
    lines = _init(project, "--pre-commit")
    assert any("wrote .pre-commit-config.yaml" in ln for ln in lines)
    cfg = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert cfg["default_install_hook_types"] == list(GIT_HOOKS)
    (entry,) = cfg["repos"]
    assert {h["id"]: tuple(h["stages"]) for h in entry["hooks"]} == HOOK_STAGES
    assert entry["repo"] == "local"  # the installed commands: no repository URL to guess
    before = (project / ".pre-commit-config.yaml").read_text()
    assert _init(project, "--pre-commit") == ["gitops-ml init: already configured, nothing changed"]
    assert (project / ".pre-commit-config.yaml").read_text() == before


def test_pre_commit_config_extended_keeping_comments(project: Path) -> None:
    path = write(project / ".pre-commit-config.yaml", EXISTING)
    lines = "\n".join(_init(project, "--pre-commit"))
    assert "added the gitops-ml hooks" in lines
    assert "set default_install_hook_types" in lines
    text = path.read_text()
    for kept in ("# my team's hooks", "# formatting first", "# trailing comment", "-   id: black"):
        assert kept in text
    cfg = yaml.safe_load(text)
    assert cfg["repos"][0]["repo"] == "https://github.com/psf/black"
    assert len(cfg["repos"]) == 2
    assert cfg["default_install_hook_types"] == list(GIT_HOOKS)
    assert _init(project, "--pre-commit") == ["gitops-ml init: already configured, nothing changed"]
    assert path.read_text() == text


def test_pre_commit_config_empty_list_and_bad_yaml(project: Path) -> None:
    path = write(project / ".pre-commit-config.yaml", "repos: []\n")
    _init(project, "--pre-commit")
    assert len(yaml.safe_load(path.read_text())["repos"]) == 1
    write(project / ".pre-commit-config.yaml", "repos:\n  - repo: [unclosed\n")
    proc = cli(project, "init", "--pre-commit")
    assert proc.returncode == 2
    assert proc.stderr.startswith("gitops-ml: error: .pre-commit-config.yaml:3: not valid YAML")


def test_pre_commit_config_naming_a_gitops_ml_repository(project: Path) -> None:
    url = "https://git.example.com/ml/gitops-ml"
    proc = cli(
        project, "init", "--pre-commit", "--pre-commit-repo", url, "--pre-commit-rev", "v9.9"
    )
    assert proc.returncode == 0, proc.stderr
    (entry,) = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    assert entry["repo"] == url and entry["rev"] == "v9.9"
    assert {h["id"]: tuple(h["stages"]) for h in entry["hooks"]} == HOOK_STAGES


def test_local_hooks_run_under_the_real_pre_commit(project: Path, tmp_path: Path) -> None:
    import subprocess

    _init(project, "--pre-commit")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"), PRE_COMMIT_COLOR="never")

    def pc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )

    assert pc("run", "--all-files").returncode == 0
    write(project / "gitops-ml.yaml", "params: params.json\nbogus: 1\n")
    failed = pc("run", "--all-files")
    assert failed.returncode == 1
    assert "gitops-ml.yaml:2: unknown key 'bogus'" in failed.stdout


def _edit(project: Path, text: str, url: str | None = None) -> tuple[str, list[str]]:
    """Write ``text`` as the pre-commit config, let gitops-ml extend it, return both."""
    from gitops_ml.core import gitstore
    from gitops_ml.hooks.install import write_pre_commit_config

    path = write(project / ".pre-commit-config.yaml", text)
    done = write_pre_commit_config(gitstore.open_repo(project), url=url)
    return path.read_text(), done


def test_edit_only_inserts_lines_keeping_every_byte_of_the_users_file(project: Path) -> None:
    text = (
        "repos:\n"
        "- repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "  rev: 'v0.6.0'   # pinned on purpose\n"
        "  hooks:\n"
        "  - {id: ruff, args: [--fix]}\n"
        "\n"
        "# CI settings follow\n"
        "ci:\n"
        "    autofix_prs: false\n"
    )
    new, done = _edit(project, text)
    assert done == [
        "added the gitops-ml hooks to .pre-commit-config.yaml",
        "set default_install_hook_types in .pre-commit-config.yaml",
    ]
    old_lines = text.splitlines()
    new_lines = new.splitlines()
    # the user's lines, in order, all there: ours are only inserted between them
    it = iter(new_lines)
    assert all(any(line == got for got in it) for line in old_lines)
    cfg = yaml.safe_load(new)
    assert [r["repo"] for r in cfg["repos"]] == [
        "https://github.com/astral-sh/ruff-pre-commit",
        "local",
    ]
    assert cfg["ci"] == {"autofix_prs": False}
    # our item follows the user's indentation (dash at column 0) and precedes the comment
    assert "\n- repo: local\n" in new
    assert new.index("- repo: local") < new.index("# CI settings follow")
    assert new.startswith("default_install_hook_types: [pre-commit, post-commit, pre-push")


def test_edit_of_flow_style_repos_and_of_a_comment_only_file(project: Path) -> None:
    new, _ = _edit(project, "repos: [{repo: meta, hooks: [{id: identity}]}]\n")
    cfg = yaml.safe_load(new)
    assert [r["repo"] for r in cfg["repos"]] == ["meta", "local"]
    new, _ = _edit(project, "# nothing yet\n")
    assert new.startswith("# nothing yet\ndefault_install_hook_types: [")
    assert yaml.safe_load(new)["repos"][0]["repo"] == "local"


def test_edit_refuses_what_it_cannot_extend(project: Path) -> None:
    from gitops_ml.core.errors import UsageError

    for text in ("repos: local\n", "- just a list\n"):
        with pytest.raises(
            UsageError, match=r"add the gitops-ml hooks by hand|must hold a mapping"
        ):
            _edit(project, text)
        assert (project / ".pre-commit-config.yaml").read_text() == text


def test_edit_notes_missing_hook_types_without_changing_them(project: Path) -> None:
    text = "default_install_hook_types: [pre-commit]\nrepos: []\n"
    new, done = _edit(project, text, url="https://git.example.com/gitops-ml")
    assert done[-1].startswith("note: add post-commit, pre-push, post-merge, post-checkout")
    assert yaml.safe_load(new)["default_install_hook_types"] == ["pre-commit"]
    assert _edit(project, new, url="https://git.example.com/gitops-ml")[0] == new
