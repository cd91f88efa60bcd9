"""core.git: the environment git runs in and its failures as one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_ml.core import git
from gitops_ml.core.errors import ENVIRONMENT, EnvironmentProblem, UsageError
from tests.conftest import git as run_git


def test_env_drops_what_a_parent_hook_leaks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"):
        monkeypatch.setenv(name, "/elsewhere")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    env = git.git_env({"EXTRA": "1"})
    assert not {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"} & set(env)
    assert env["EXTRA"] == "1" and env["LC_ALL"] == "C"
    assert env["GIT_TERMINAL_PROMPT"] == "1"  # the user's choice is kept
    assert git.git_env(keep_git_dir=True)["GIT_DIR"] == "/elsewhere"


def test_run_from_inside_a_hook_targets_the_right_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "r"
    run_git(tmp_path, "init", "-q", str(repo))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "other" / ".git"))
    assert git.out(["rev-parse", "--show-toplevel"], repo) == str(repo)


def test_out_strips_only_the_final_newline(tmp_path: Path) -> None:
    run_git(tmp_path, "init", "-q")
    oid = git.out(["hash-object", "-w", "--stdin"], tmp_path, input=b"  x\n")
    assert git.out(["cat-file", "-p", oid], tmp_path) == "  x"
    proc = git.run(["cat-file", "-p", oid], tmp_path)
    assert proc.stdout == b"  x\n"


def test_failure_is_one_error_with_gits_words(tmp_path: Path) -> None:
    run_git(tmp_path, "init", "-q")
    with pytest.raises(git.GitFailed) as info:
        git.run(["rev-parse", "--verify", "no-such-ref"], tmp_path)
    err = info.value
    assert err.code == ENVIRONMENT and err.returncode != 0
    assert "git rev-parse --verify failed" in str(err)
    assert "fatal" in err.stderr
    proc = git.run(["rev-parse", "--verify", "no-such-ref"], tmp_path, check=False)
    assert proc.returncode != 0


def test_missing_git_is_an_environment_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git here
    with pytest.raises(EnvironmentProblem, match="git is not installed"):
        git.run(["--version"], tmp_path)
    with pytest.raises(EnvironmentProblem):
        git.git_exe()


def test_not_a_repo_message() -> None:
    err = git.not_a_repo(os.sep + "tmp")
    assert isinstance(err, UsageError)
    assert str(err) == "/tmp: not a git repository (run 'git init' first, or cd into one)"


def test_quick_gives_exit_code_and_stdout_without_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "r"
    run_git(tmp_path, "init", "-q", str(repo))
    monkeypatch.setenv("GIT_DIR", "/elsewhere")  # leaked by a hook: dropped, as for run()
    code, out = git.quick(["-C", str(repo), "rev-parse", "--show-toplevel"])
    assert (code, out.decode().strip()) == (0, str(repo.resolve()))
    code, out = git.quick(["-C", str(repo), "rev-parse", "--verify", "nope"])
    assert code == 128 and out == b""
    assert capfd.readouterr().err == ""  # git's complaint went to /dev/null
    code, out = git.quick(["-C", str(repo), "config", "--get", "x.y"])
    assert (code, out) == (1, b"")  # not set
    code, out = git.quick(
        ["-C", str(repo), "config", "--get", "x.y"],
        {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "x.y", "GIT_CONFIG_VALUE_0": "z"},
    )
    assert (code, out) == (0, b"z\n")  # ``extra`` reaches git's environment
    big = "a" * 100_000  # more than a pipe holds (64 KiB): read while git writes
    code, out = git.quick(["-C", str(repo), "-c", f"x.big={big}", "config", "--get", "x.big"])
    assert (code, out) == (0, big.encode() + b"\n")


def test_quick_without_git_on_path_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        git.quick(["--version"])


def test_quick_where_posix_spawnp_is_missing_raises_oserror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(Windows has no posix_spawnp: the caller takes its usual path on OSError.)"""
    monkeypatch.delattr(os, "posix_spawnp")
    with pytest.raises(OSError, match="posix_spawnp"):
        git.quick(["--version"])
