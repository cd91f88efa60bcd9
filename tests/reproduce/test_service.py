"""The reproduce service's own steps: what is refused before any work, the child's
environment. The whole flow runs through the CLI in tests/commands/test_reproduce.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.reproduce import envbuild, service


@pytest.mark.parametrize("cwd", ["/etc", "../up", "a/../../b"])
def test_a_recorded_cwd_outside_the_repository_is_refused(cwd: str) -> None:
    with pytest.raises(UsageError, match="outside the repository"):
        service._safe_cwd(cwd)


def test_a_recorded_cwd_inside_is_kept() -> None:
    assert service._safe_cwd(None) == "."
    assert service._safe_cwd("src/train") == "src/train"


def test_the_child_gets_recorded_variables_seeds_and_the_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin")
    built = envbuild.BuiltEnv(
        path=tmp_path / "env",
        python=tmp_path / "env" / "bin" / "python",
        python_version="3.11.0",
        implementation="cpython",
        reused=True,
        seconds=0.0,
        method="uv",
        source="distributions",
    )
    rec = {
        "environment": {"variables": {"OMP_NUM_THREADS": "1", "API_TOKEN": "s3cret"}},
        "seeds": {"PYTHONHASHSEED": 7},
    }
    env = service._child_env(rec, built)
    assert env["OMP_NUM_THREADS"] == "1" and "API_TOKEN" not in env
    assert env["PYTHONHASHSEED"] == "7"
    assert env["PATH"] == f"{tmp_path / 'env' / 'bin'}:/usr/bin"
    assert env["VIRTUAL_ENV"] == str(tmp_path / "env")
    assert env["PYTHONPATH"] == "" and env["PYTHONHOME"] == "" and env["PYTHONNOUSERSITE"] == "1"
