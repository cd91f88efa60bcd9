"""``--isolated``: a temporary worktree of the snapshot, with its own copy of the data.

The snapshot holds no declared data, so the run's data is materialised into the worktree
from the local content store (the bytes the run recorded, by hash): a reflink where the
filesystem can share blocks copy-on-write, a plain copy otherwise. Never a symlink or a
hard link into the main work tree or the store: a command that writes inside its data
directory (prepare and featurize stages do) changes only its own copy, so parallel
isolated runs cannot see each other's writes and the main work tree stays as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.hashing import DataEntry, manifest_lines
from gitops_ml.data.cache import LocalStore
from gitops_ml.runs.ownership import owner_alive, owner_file, owner_tag


class IsolatedTree:
    """The worktree of one isolated run, from :meth:`create` to :meth:`remove`."""

    def __init__(self, repo: gitstore.Repo, run_id: str) -> None:
        self.repo = repo
        self.path = repo.state_dir / "worktrees" / run_id
        self._made = False

    def create(self, tree: str, parent: str | None, data: Iterable[DataEntry]) -> Path:
        """Check the snapshot out and materialise the recorded data into it."""
        commit = gitstore.make_commit(
            self.repo, tree, parent, f"gitops-ml run {self.path.name} (isolated)"
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        owner_file(self.path).write_text(owner_tag())
        self._made = True
        gitstore.add_worktree(self.repo, commit, self.path)
        store = LocalStore(self.repo.state_dir)
        for entry in data:
            materialise(store, entry, self.repo.top, self.path)
        return self.path

    def remove(self) -> None:
        if self._made:
            gitstore.remove_worktree(self.repo, self.path)
            owner_file(self.path).unlink(missing_ok=True)
            self._made = False


def materialise(store: LocalStore, entry: DataEntry, source_top: Path, top: Path) -> None:
    """Write the recorded bytes of ``entry`` under ``top`` (file modes as in the source)."""
    if entry.kind == "file":
        _copy_out(store, entry.hash, source_top / entry.path, top / entry.path)
        return
    assert entry.manifest is not None
    (top / entry.path).mkdir(parents=True, exist_ok=True)
    for digest, _size, rel in manifest_lines(entry.manifest):
        _copy_out(store, digest, source_top / entry.path / rel, top / entry.path / rel)


def _copy_out(store: LocalStore, digest: str, source: Path, dest: Path) -> None:
    try:
        mode = source.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    dest.parent.mkdir(parents=True, exist_ok=True)
    # the run's own copy (the owner may write it); not fsynced: the worktree is thrown away
    with atomic_path(dest, mode=mode | 0o200, durable=False) as tmp:
        _clone(store.path(digest), tmp)


def _clone(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest``: a reflink (FICLONE) when the filesystem supports it."""
    try:
        import fcntl

        ficlone = 0x40049409  # _IOW(0x94, 9, int), Linux
        with open(src, "rb") as fin, open(dest, "wb") as fout:
            fcntl.ioctl(fout.fileno(), ficlone, fin.fileno())
        return
    except (ImportError, OSError):
        pass
    shutil.copyfile(src, dest)


def recover(repo: gitstore.Repo) -> None:
    """Remove the worktrees of runs (and reproduces) killed before they removed them."""
    worktrees = repo.state_dir / "worktrees"
    try:
        owners = sorted(worktrees.glob("*.owner"))
    except OSError:
        return
    for path in owners:
        try:
            owner = path.read_text()
        except OSError:
            continue
        if not owner_alive(owner):
            gitstore.remove_worktree(repo, path.with_suffix(""))
            path.unlink(missing_ok=True)
