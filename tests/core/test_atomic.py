"""core.atomic: one way to replace a file so no reader sees half of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitops_ml.core.atomic import atomic_path, temp_name, write_atomic


def test_write_atomic_replaces_content_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    target.write_text("old")
    write_atomic(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_write_atomic_bytes_mode_and_mkdir(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "hook"
    write_atomic(target, b"#!/bin/sh\n", mode=0o755, mkdir=True, durable=False)
    assert target.read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_write_atomic_default_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "x", "1")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x").stat().st_mode) == 0o640


def test_write_atomic_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "f", "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_atomic_path_replaces_on_success_only(tmp_path: Path) -> None:
    target = tmp_path / "obj"
    with atomic_path(target, mode=0o444) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".obj.")
        tmp.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444

    other = tmp_path / "other"
    other.write_text("kept")
    with pytest.raises(RuntimeError), atomic_path(other) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert other.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obj", "other"]


def test_atomic_path_takes_a_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "a")
    with atomic_path(link) as tmp:
        tmp.symlink_to(tmp_path / "b")
    assert os.readlink(link) == str(tmp_path / "b")


def test_temp_names_are_unique(tmp_path: Path) -> None:
    names = {temp_name(tmp_path / "f") for _ in range(100)}
    assert len(names) == 100
