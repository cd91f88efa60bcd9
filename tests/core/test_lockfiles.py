"""Whether a requirements file really pins every requirement."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import lockfiles
from tests.conftest import write


def _files(files: dict[str, str]) -> lockfiles.Reader:
    def read(rel: str) -> bytes | None:
        text = files.get(rel)
        return None if text is None else text.encode()

    return read


@pytest.mark.parametrize(
    "line",
    [
        "six==1.17.0",
        "six == 1.17.0 ; python_version >= '3'",
        "Six[extra]===1.17.0",
        "six==1.17.0 \\\n    --hash=sha256:abc",
        "six==1.17.0 --hash=sha256:abc",
        "pkg @ https://example.invalid/pkg-1.0-py3-none-any.whl",
        "pkg @ git+https://example.invalid/pkg@0123456789abcdef0123456789abcdef01234567",
        "./wheels/pkg-1.0-py3-none-any.whl",
        "--index-url https://example.invalid/simple",
        "# a comment",
    ],
)
def test_pinned(line: str) -> None:
    assert lockfiles.unpinned(_files({"r.txt": line + "\n"}), "r.txt") == []


@pytest.mark.parametrize(
    "line",
    [
        "celery",
        "six>=1.10",
        "six==1.*",
        "six==1.17,<2",
        "six~=1.17",
        "-e .",
        "./src/pkg",
        "pkg @ git+https://example.invalid/pkg@main",
    ],
)
def test_unpinned(line: str) -> None:
    assert lockfiles.unpinned(_files({"r.txt": line + "\n"}), "r.txt") == [line]


def test_includes_and_constraints_are_followed() -> None:
    files = {
        "reqs/r.txt": "-r base.txt\n-c ../constraints.txt\ncelery\n",
        "reqs/base.txt": "python-dateutil\nsix==1\n",
        "constraints.txt": "celery==5.6.3\n",
    }
    assert lockfiles.unpinned(_files(files), "reqs/r.txt") == ["python-dateutil"]
    assert lockfiles.unpinned(_files({}), "missing.txt") == []


def test_run_warns_once_per_lockfile_content(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "celery\nsix>=1\n")
    lock = {"path": "requirements.txt", "hash": "ab" * 32}
    state = tmp_path / "state"
    text = lockfiles.warn_unpinned_once(tmp_path, state, lock)
    assert text is not None and "requirements.txt does not pin every requirement" in text
    assert "celery, six>=1" in text
    assert lockfiles.warn_unpinned_once(tmp_path, state, lock) is None
    assert lockfiles.warn_unpinned_once(tmp_path, state, {**lock, "hash": "cd" * 32})
    write(tmp_path / "pinned.txt", "six==1\n")
    assert (
        lockfiles.warn_unpinned_once(tmp_path, state, {"path": "pinned.txt", "hash": "e"}) is None
    )
    assert lockfiles.warn_unpinned_once(tmp_path, state, {"path": "uv.lock", "hash": "f"}) is None
    assert lockfiles.warn_unpinned_once(tmp_path, state, None) is None
