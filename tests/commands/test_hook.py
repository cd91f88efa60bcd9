"""``gitops-ml hook NAME [ARGS]``: a git hook's (or one hook id's) implementation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.commands.hook import modules_for
from gitops_ml.core.errors import UsageError
from tests.conftest import cli, git, write


@pytest.mark.parametrize(
    ("name", "modules"),
    [
        ("pre-commit", ("check_config", "no_data_in_git")),
        ("post-commit", ("link_commit",)),
        ("pre-push", ("push_runs",)),
        ("post-merge", ("fetch_runs",)),
        ("post-checkout", ("fetch_runs",)),
        ("link-commit", ("link_commit",)),
        ("gitops-ml-no-data-in-git", ("no_data_in_git",)),
    ],
)
def test_dispatch(name: str, modules: tuple[str, ...]) -> None:
    assert modules_for(name) == modules


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown hook 'pre-rebase' \(known: pre-commit, "):
        modules_for("pre-rebase")


def test_pre_commit_with_nothing_staged_is_silent(project: Path) -> None:
    proc = cli(project, "hook", "pre-commit")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_pre_commit_checks_the_staged_files(project: Path) -> None:
    write(project / "gitops-ml.yaml", "params: params.json\nbogus: 1\n")
    git(project, "add", "gitops-ml.yaml")
    proc = cli(project, "hook", "pre-commit")
    assert proc.returncode == 1
    # both checks read the config: check-config names the problem (no-data-in-git, which
    # cannot work without a valid config, says so too)
    assert "gitops-ml.yaml:2: unknown key 'bogus'" in proc.stdout


def test_explicit_names_after_a_double_dash(project: Path) -> None:
    write(project / "gitops-ml.yaml", "params: params.json\nbogus: 1\n")
    proc = cli(project, "hook", "check-config", "--", "gitops-ml.yaml")
    assert proc.returncode == 1 and "unknown key 'bogus'" in proc.stdout
    proc = cli(project, "hook", "check-config", "--", "train.py")  # not a config file
    assert proc.returncode == 0


def test_unknown_hook_is_exit_2_in_one_line(project: Path) -> None:
    proc = cli(project, "hook", "pre-rebase")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown hook 'pre-rebase'" in proc.stderr
