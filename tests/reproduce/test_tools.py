"""The tools environments are made with: uv (from its package), venv + pip, the recorded Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gitops_ml.reproduce import tools
from tests.conftest import write
from tests.reproduce.conftest import record_for, repo_with

pytestmark = pytest.mark.usefixtures("shared_uv_cache")
_repo, _rec = repo_with, record_for


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
