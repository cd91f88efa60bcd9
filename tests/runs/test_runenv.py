"""A run's environment record and its command's variables."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gitops_ml.core import config, gitstore
from gitops_ml.runs import runenv, sidechannel
from tests.conftest import make_project


def test_the_command_gets_its_run_params_and_no_shim_when_gitops_ml_is_installed(
    tmp_path: Path,
) -> None:
    repo = gitstore.open_repo(make_project(tmp_path / "p"))
    env = runenv.RunEnvironment(
        repo, config.load(repo.top), command=["true"], extra_env={"EXTRA": "1"}
    )
    env.start(executes=True)
    rec = env.result()
    assert rec["executable"] == sys.executable and "gitops-ml" in rec["distributions"]
    big = {"vocab": ["x" * 10] * 5000}  # over the inline limit
    got = env.child_env({sidechannel.ENV_RUN_ID: "01J9"}, big, tmp_path / "params.json")
    assert got["EXTRA"] == "1" and got[sidechannel.ENV_RUN_ID] == "01J9"
    assert sidechannel.ENV_PARAMS not in got
    assert Path(got[sidechannel.ENV_PARAMS_FILE]).read_text().startswith('{"vocab"')
    assert got.get("PYTHONPATH", "") == os.environ.get("PYTHONPATH", "")


def test_a_replayed_environment_is_recorded_as_given(tmp_path: Path) -> None:
    repo = gitstore.open_repo(make_project(tmp_path / "p"))
    given = {"python": "3.9.0", "distributions": {"x": "1"}}
    env = runenv.RunEnvironment(
        repo, config.load(repo.top), command=["python"], extra_env={}, replayed=given
    )
    env.start(executes=True)
    assert env.result() == given
    got = env.child_env({}, {}, tmp_path / "p.json")
    assert "api-shim" not in got.get("PYTHONPATH", "")  # reproduce brings its own
