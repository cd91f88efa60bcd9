"""core.statcheck: the folder check and the stamps behind the private git indexes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitops_ml.core import statcheck


def _folders(root: Path) -> statcheck.Folders:
    out: statcheck.Folders = []
    for p in [root, *sorted(d for d in root.rglob("*") if d.is_dir())]:
        st = os.lstat(p)
        rel = "" if p == root else p.relative_to(root).as_posix()
        out.append((rel, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return out


def test_folders_unchanged_until_an_entry_moves(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_text("x")
    kept = _folders(root)
    assert statcheck.folders_unchanged(str(root), kept)
    (root / "a" / "b" / "f").write_text("changed")  # a file's content: not the folders'
    assert statcheck.folders_unchanged(str(root), kept)
    (root / "a" / "b" / "g").write_text("new")
    assert not statcheck.folders_unchanged(str(root), kept)


def test_a_folder_replaced_by_a_link_is_a_change(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "a").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    kept = _folders(root)
    (root / "a").rmdir()
    (root / "a").symlink_to(tmp_path / "elsewhere")
    assert not statcheck.folders_unchanged(str(root), kept)


def test_stamp_tells_a_rewrite_and_a_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    assert statcheck.stamp(str(f)) is None
    f.write_text("one")
    first = statcheck.stamp(str(f))
    assert first == statcheck.stamp(str(f))
    tmp = tmp_path / "f.tmp"
    tmp.write_text("two")
    os.replace(tmp, f)  # same size, an atomic rewrite
    assert statcheck.stamp(str(f)) != first


def test_check_is_git_diff_files_quiet(tmp_path: Path) -> None:
    """The check's exit code: 0 with every file as in the index, 1 after a change."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("x")
    subprocess.run(["git", "add", "f"], cwd=tmp_path, check=True)
    run = subprocess.run(["git", *statcheck.CHECK], cwd=tmp_path, capture_output=True)
    assert (run.returncode, run.stdout) == (0, b"")
    (tmp_path / "f").write_text("yy")
    run = subprocess.run(["git", *statcheck.CHECK], cwd=tmp_path, capture_output=True)
    assert (run.returncode, run.stdout) == (1, b"")
