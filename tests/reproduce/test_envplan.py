"""What is installed for a run: its lockfile from the snapshot (checked), else its exact distributions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitops_ml.core.errors import GitopsError
from gitops_ml.reproduce import envplan, tools
from tests.conftest import write
from tests.reproduce.conftest import record_for, repo_with

pytestmark = pytest.mark.usefixtures("shared_uv_cache")
_repo, _rec = repo_with, record_for


def test_requirements_file_is_read_from_the_snapshot_with_its_includes(tmp_path: Path) -> None:
    req = "-r base/base.txt\n-c constraints.txt\n"
    repo, commit = _repo(
        tmp_path,
        {"requirements.txt": req, "base/base.txt": "six==1.17.0\n", "constraints.txt": "six<2\n"},
    )
    # the work tree moved on: the snapshot's bytes are what count
    write(repo.top / "requirements.txt", "six==1.10.0\n")
    plan = envplan.plan_install(repo, _rec(commit, "requirements.txt", req), tmp_path / "w", None)
    assert plan.source == "requirements.txt" and not plan.no_deps
    assert plan.requirements is not None and plan.requirements.read_text() == req
    assert (plan.requirements.parent / "base" / "base.txt").read_text() == "six==1.17.0\n"
    assert (plan.requirements.parent / "constraints.txt").read_text() == "six<2\n"


def test_a_lockfile_that_does_not_match_its_recorded_hash_is_refused(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"requirements.txt": "six==1.17.0\n"})
    with pytest.raises(GitopsError) as err:
        envplan.plan_install(
            repo, _rec(commit, "requirements.txt", "six==1.16.0\n"), tmp_path / "w", None
        )
    assert err.value.code == 3
    assert "does not match the recorded hash" in str(err.value)


def test_without_a_lockfile_the_exact_distributions_minus_tools_and_gitops_ml(
    tmp_path: Path,
) -> None:
    repo, commit = _repo(tmp_path, {"train.py": ""})
    dists = {
        "gitops-ml": "0.1.0",
        "pip": "24.0",
        "setuptools": "69",
        "wheel": "0.43",
        "six": "1.17.0",
    }
    plan = envplan.plan_install(repo, _rec(commit, None, distributions=dists), tmp_path / "w", None)
    assert plan.source == "distributions" and plan.no_deps
    assert plan.requirements is not None and plan.requirements.read_text() == "six==1.17.0\n"


def test_an_unsupported_lockfile_falls_back_to_distributions_with_a_warning(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"poetry.lock": "# lock\n"})
    plan = envplan.plan_install(
        repo,
        _rec(commit, "poetry.lock", "# lock\n", distributions={"six": "1.17.0"}),
        tmp_path / "w",
        None,
    )
    assert plan.source == "distributions"
    assert any("poetry.lock is not supported" in w for w in plan.warnings)


def test_uv_lock_is_exported_frozen_without_the_project(tmp_path: Path) -> None:
    uv = tools.find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    project = tmp_path / "proj"
    write(
        project / "pyproject.toml",
        '[project]\nname = "trainer"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["six==1.17.0"]\n',
    )
    subprocess.run([uv, "lock", "-q"], cwd=project, check=True, env=tools.tool_env())
    lock = (project / "uv.lock").read_text()
    repo, commit = _repo(
        tmp_path, {"pyproject.toml": (project / "pyproject.toml").read_text(), "uv.lock": lock}
    )
    plan = envplan.plan_install(repo, _rec(commit, "uv.lock", lock), tmp_path / "w", uv)
    assert plan.requirements is not None
    text = plan.requirements.read_text()
    assert "six==1.17.0" in text and "--hash=sha256:" in text
    assert not [ln for ln in text.splitlines() if ln.startswith(("-e", "."))]
    # without uv: the registry pins of the lock
    assert envplan.uv_lock_pins(lock.encode()) == ["six==1.17.0"]


def test_a_recorded_distribution_that_is_not_name_and_version_is_left_out(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"train.py": ""})
    dists = {"six": "1.17.0\n--find-links /evil", "ok-pkg": "2.0", "bad name": "1", "x": "1.0"}
    plan = envplan.plan_install(repo, _rec(commit, None, distributions=dists), tmp_path / "w", None)
    assert plan.requirements is not None
    assert plan.requirements.read_text() == "ok-pkg==2.0\nx==1.0\n"
    assert plan.pins == {"ok-pkg": "2.0", "x": "1.0"}
    assert any("not name==version" in w and "/evil" in w for w in plan.warnings)


def test_the_plan_digest_is_what_is_installed(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"requirements.txt": "-r base.txt\n", "base.txt": "six==1\n"})
    rec = _rec(commit, "requirements.txt", "-r base.txt\n")
    one = envplan.plan_install(repo, rec, tmp_path / "a", None).digest()
    assert one == envplan.plan_install(repo, rec, tmp_path / "b", None).digest()
    (tmp_path / "o").mkdir()
    repo2, commit2 = _repo(
        tmp_path / "o", {"requirements.txt": "-r base.txt\n", "base.txt": "six==2\n"}
    )
    rec2 = _rec(commit2, "requirements.txt", "-r base.txt\n")
    assert envplan.plan_install(repo2, rec2, tmp_path / "c", None).digest() != one
