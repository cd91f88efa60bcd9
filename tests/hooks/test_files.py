"""gitops_ml.hooks._files: the repository root, the staged names and the config, cheaply."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_ml.core.errors import UsageError
from gitops_ml.hooks import _files
from tests.conftest import git, make_project, write


def test_top_staged_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_project(tmp_path / "p", config="params: params.json\ndata: ./raw/\n")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    assert _files.top() == repo
    write(repo / "new file.txt", "x")
    write(repo / "train.py", "changed = True\n")
    git(repo, "add", "new file.txt", "train.py")
    assert sorted(_files.staged(repo)) == ["new file.txt", "train.py"]
    index = repo / ".git" / "other-index"  # git commit FILE hands hooks its own index
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    git(repo, "read-tree", "HEAD")
    assert _files.staged(repo) == []
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert _files.load_config(repo).data == ["raw"]  # the one normaliser
    write(repo / "gitops-ml.yaml", "data: ../out\n")
    with pytest.raises(UsageError, match=r"gitops-ml\.yaml:1: "):
        _files.load_config(repo)
    assert os.environ.get("GIT_INDEX_FILE") is None
