"""Helpers shared by the reproduce tests: a committed repository and a record naming it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.hashing import hash_bytes
from tests.conftest import git, write


@pytest.fixture
def shared_uv_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One package cache for the whole session: each test's HOME is fresh."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def repo_with(tmp_path: Path, files: dict[str, str]) -> tuple[gitstore.Repo, str]:
    """A repository under ``tmp_path/p`` with ``files`` committed; and that commit."""
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in files.items():
        write(root / rel, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "c")
    return gitstore.open_repo(root), git(root, "rev-parse", "HEAD").strip()


def record_for(commit: str, lock: str | None, content: str = "", **env: Any) -> dict[str, Any]:
    """A minimal run record whose snapshot is ``commit`` and whose lockfile is ``lock``."""
    environment = {
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "platform": f"{sys.platform}-{os.uname().machine}",
        "lockfile": {"path": lock, "hash": hash_bytes(content.encode())} if lock else None,
        "distributions": {},
        **env,
    }
    return {"id": "01TEST", "git": {"snapshot": commit}, "environment": environment}
