"""Rebuilding recorded environments: real venvs (uv and venv+pip), built once and reused."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitops_ml.reproduce import envbuild, envcache, tools
from tests.reproduce.conftest import record_for, repo_with

pytestmark = pytest.mark.usefixtures("shared_uv_cache")
_repo, _rec = repo_with, record_for


@pytest.mark.parametrize("use_uv", [True, False], ids=["uv", "venv+pip"])
def test_an_environment_is_built_once_renamed_into_place_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_uv: bool
) -> None:
    if use_uv and tools.find_uv() is None:
        pytest.skip("uv is not installed")
    if not use_uv:
        monkeypatch.setenv(tools.ENV_NO_UV, "1")
    content = "# nothing to install\n"
    repo, commit = _repo(tmp_path, {"requirements.txt": content})
    rec = _rec(commit, "requirements.txt", content, fingerprint="ab" * 16)  # claims nothing
    logs: list[str] = []
    first = envbuild.ensure_env(repo, rec, log=logs.append)
    assert not first.reused and first.method == ("uv" if use_uv else "venv+pip")
    assert first.path.parent == envcache.cache_root() and first.path.name != "ab" * 16
    assert str(first.path).startswith(os.environ["XDG_CACHE_HOME"])
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".build-")]
    marker = json.loads((first.path / envcache.MARKER).read_text())
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
    # how much faster the reuse is: bench figure 7 (built vs reused), never a timed test


def test_a_broken_cached_environment_is_rebuilt(tmp_path: Path) -> None:
    content = "\n"
    repo, commit = _repo(tmp_path, {"requirements.txt": content})
    rec = _rec(commit, "requirements.txt", content)
    first = envbuild.ensure_env(repo, rec, log=lambda _m: None)
    (first.path / envcache.MARKER).unlink()  # a crash between the build and its marker
    (first.path / "junk").write_text("left by a crash")
    built = envbuild.ensure_env(repo, rec, log=lambda _m: None)
    assert built.path == first.path
    assert not built.reused and built.python.exists() and not (built.path / "junk").exists()
