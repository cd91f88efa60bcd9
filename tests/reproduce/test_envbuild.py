"""Rebuilding recorded environments: what is installed, real venvs (uv and venv+pip), the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.errors import GitopsError
from gitops_ml.core.hashing import hash_bytes
from gitops_ml.reproduce import envbuild
from tests.conftest import git, write


@pytest.fixture(autouse=True)
def _shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One package cache for the whole session: each test's HOME is fresh.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def _repo(tmp_path: Path, files: dict[str, str]) -> tuple[gitstore.Repo, str]:
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in files.items():
        write(root / rel, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "c")
    return gitstore.open_repo(root), git(root, "rev-parse", "HEAD").strip()


def _rec(commit: str, lock: str | None, content: str = "", **env: Any) -> dict[str, Any]:
    environment = {
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "platform": f"{sys.platform}-{os.uname().machine}",
        "lockfile": {"path": lock, "hash": hash_bytes(content.encode())} if lock else None,
        "distributions": {},
        **env,
    }
    return {"id": "01TEST", "git": {"snapshot": commit}, "environment": environment}


def test_requirements_file_is_read_from_the_snapshot_with_its_includes(tmp_path: Path) -> None:
    req = "-r base/base.txt\n-c constraints.txt\n"
    repo, commit = _repo(
        tmp_path,
        {"requirements.txt": req, "base/base.txt": "six==1.17.0\n", "constraints.txt": "six<2\n"},
    )
    # the work tree moved on: the snapshot's bytes are what count
    write(repo.top / "requirements.txt", "six==1.10.0\n")
    plan = envbuild.plan_install(repo, _rec(commit, "requirements.txt", req), tmp_path / "w", None)
    assert plan.source == "requirements.txt" and not plan.no_deps
    assert plan.requirements is not None and plan.requirements.read_text() == req
    assert (plan.requirements.parent / "base" / "base.txt").read_text() == "six==1.17.0\n"
    assert (plan.requirements.parent / "constraints.txt").read_text() == "six<2\n"


def test_a_lockfile_that_does_not_match_its_recorded_hash_is_refused(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"requirements.txt": "six==1.17.0\n"})
    with pytest.raises(GitopsError) as err:
        envbuild.plan_install(
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
    plan = envbuild.plan_install(
        repo, _rec(commit, None, distributions=dists), tmp_path / "w", None
    )
    assert plan.source == "distributions" and plan.no_deps
    assert plan.requirements is not None and plan.requirements.read_text() == "six==1.17.0\n"


def test_an_unsupported_lockfile_falls_back_to_distributions_with_a_warning(tmp_path: Path) -> None:
    repo, commit = _repo(tmp_path, {"poetry.lock": "# lock\n"})
    plan = envbuild.plan_install(
        repo,
        _rec(commit, "poetry.lock", "# lock\n", distributions={"six": "1.17.0"}),
        tmp_path / "w",
        None,
    )
    assert plan.source == "distributions"
    assert any("poetry.lock is not supported" in w for w in plan.warnings)


def test_uv_lock_is_exported_frozen_without_the_project(tmp_path: Path) -> None:
    uv = envbuild.find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    project = tmp_path / "proj"
    write(
        project / "pyproject.toml",
        '[project]\nname = "trainer"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["six==1.17.0"]\n',
    )
    subprocess.run([uv, "lock", "-q"], cwd=project, check=True, env=envbuild._tool_env())
    lock = (project / "uv.lock").read_text()
    repo, commit = _repo(
        tmp_path, {"pyproject.toml": (project / "pyproject.toml").read_text(), "uv.lock": lock}
    )
    plan = envbuild.plan_install(repo, _rec(commit, "uv.lock", lock), tmp_path / "w", uv)
    assert plan.requirements is not None
    text = plan.requirements.read_text()
    assert "six==1.17.0" in text and "--hash=sha256:" in text
    assert not [ln for ln in text.splitlines() if ln.startswith(("-e", "."))]
    # without uv: the registry pins of the lock
    assert envbuild._uv_lock_pins(lock.encode()) == ["six==1.17.0"]


def test_a_python_version_not_on_this_machine_falls_back_with_a_warning() -> None:
    exe, version, warning = envbuild.find_python("2.7.18", envbuild.find_uv())
    assert exe == sys.executable
    assert warning is not None and "2.7.18" in warning and version in warning
    same = "{}.{}.{}".format(*sys.version_info[:3])
    assert envbuild.find_python(same, None) == (sys.executable, same, None)


@pytest.mark.parametrize("use_uv", [True, False], ids=["uv", "venv+pip"])
def test_an_environment_is_built_once_renamed_into_place_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_uv: bool
) -> None:
    if use_uv and envbuild.find_uv() is None:
        pytest.skip("uv is not installed")
    if not use_uv:
        monkeypatch.setenv(envbuild.ENV_NO_UV, "1")
    content = "# nothing to install\n"
    repo, commit = _repo(tmp_path, {"requirements.txt": content})
    rec = _rec(commit, "requirements.txt", content, fingerprint="ab" * 16)
    logs: list[str] = []
    first = envbuild.ensure_env(repo, rec, log=logs.append)
    assert not first.reused and first.method == ("uv" if use_uv else "venv+pip")
    assert first.path == envbuild.cache_root() / ("ab" * 16)
    assert str(first.path).startswith(os.environ["XDG_CACHE_HOME"])
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".build-")]
    marker = json.loads((first.path / envbuild.MARKER).read_text())
    assert marker["python_version"] == first.python_version
    # the running gitops-ml is importable in it; the host's other packages are not
    probe = subprocess.run(
        [
            str(first.python),
            "-c",
            "import gitops_ml, sys; print(gitops_ml.__file__)\n"
            "try:\n import yaml\nexcept ImportError: print('no yaml')",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert probe.returncode == 0, probe.stderr
    import gitops_ml

    lines = probe.stdout.split("\n")
    assert Path(lines[0]).resolve() == Path(gitops_ml.__file__).resolve()
    assert lines[1] == "no yaml"
    # scripts name the final place, not the temporary build directory
    for script in first.bin_dir.iterdir():
        if script.is_file() and not script.is_symlink():
            assert b".build-" not in script.read_bytes(), script
    inode = first.path.stat().st_ino
    logs.clear()
    second = envbuild.ensure_env(repo, rec, log=logs.append)
    assert second.reused and second.path == first.path
    assert first.path.stat().st_ino == inode
    assert any("reusing environment" in line for line in logs)
    assert second.seconds < first.seconds


def test_a_broken_cached_environment_is_rebuilt(tmp_path: Path) -> None:
    content = "\n"
    repo, commit = _repo(tmp_path, {"requirements.txt": content})
    rec = _rec(commit, "requirements.txt", content, fingerprint="cd" * 16)
    half = envbuild.cache_root() / ("cd" * 16)
    half.mkdir(parents=True)
    (half / "junk").write_text("left by a crash")
    built = envbuild.ensure_env(repo, rec, log=lambda _m: None)
    assert not built.reused and built.python.exists() and not (half / "junk").exists()
