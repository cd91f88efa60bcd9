"""The tools environments are made with: uv (from its package), venv + pip, the recorded Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.hashing import hash_bytes
from gitops_ml.reproduce import tools
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


def test_a_python_version_not_on_this_machine_falls_back_with_a_warning() -> None:
    exe, version, warning = tools.find_python("2.7.18", tools.find_uv())
    assert exe == sys.executable
    assert warning is not None and "2.7.18" in warning and version in warning
    same = "{}.{}.{}".format(*sys.version_info[:3])
    assert tools.find_python(same, None) == (sys.executable, same, None)


def test_uv_is_a_dependency_and_found_through_its_package_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata
    import re

    import uv

    requires = importlib.metadata.requires("gitops-ml") or []
    assert [r for r in requires if re.match(r"^uv\b", r) and "extra ==" not in r], requires
    # another uv on PATH (a shim, an old one) is not the one used
    fake = write(tmp_path / "bin" / "uv", "#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert tools.find_uv() == str(uv.find_uv_bin())
    monkeypatch.setenv(tools.ENV_NO_UV, "1")
    assert tools.find_uv() is None
