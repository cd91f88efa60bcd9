"""Params files overridden in place by ``-p``: the lock, the journal, putting them back.

An in-place run with overrides holds ``.git/gitops-ml/restore/params.lock`` (an
``fcntl.flock``: the kernel drops it when the process dies, so a lock is never stale and
never stolen) for its whole life. Before it writes a params file it writes a journal
(``<run id>.json``: each file's original bytes and the hash of what it wrote), so a run
killed before it restores the files leaves what the next run needs (:func:`recover`).

A params file that no longer holds what the run wrote was changed by someone else (the
user saving it during the run): it is kept, and its content from before the run stays in
``<run id>.json.kept`` with a warning naming it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from gitops_ml.core.atomic import write_atomic
from gitops_ml.core.errors import UsageError
from gitops_ml.runs.console import warn
from gitops_ml.runs.ownership import owner_tag

LOCK_NAME = "params.lock"
_WAIT = 1.0  # seconds a claim waits for a run that is just releasing the lock


class ParamsLock:
    """``fcntl.flock`` on the params lock file of a repository."""

    def __init__(self, restore_dir: Path) -> None:
        self.path = restore_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock (retrying for ``wait`` seconds); False when another process has it."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.write(fd, owner_tag().encode())  # for the message of a refused run
        self._fd = fd
        return True

    def holder(self) -> str:
        """Who holds the lock, as it wrote itself (may be empty while it starts)."""
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def claim(restore_dir: Path) -> ParamsLock:
    """The params lock for an in-place run with overrides, or a one-line refusal."""
    lock = ParamsLock(restore_dir)
    if not lock.acquire(wait=_WAIT):
        holder = lock.holder()
        by = f" (process {holder})" if holder else ""
        raise UsageError(
            f"another in-place run with -p is using the params files{by}; "
            "use --isolated to run with different params in parallel"
        )
    return lock


class Overridden:
    """The params files one in-place run has overridden, until :meth:`restore`."""

    def __init__(self, top: Path, restore_dir: Path, run_id: str) -> None:
        self.top = top
        self.journal = restore_dir / f"{run_id}.json"
        self.run_id = run_id
        self._originals: dict[str, bytes | None] = {}
        self._written: dict[str, bytes] = {}

    def write(self, contents: Mapping[str, bytes]) -> None:
        """Journal the originals, then write ``contents`` into the work tree."""
        for rel in contents:
            target = self.top / rel
            self._originals[rel] = target.read_bytes() if target.exists() else None
        self._written = dict(contents)
        _write_journal(self.journal, self._originals, self._written)
        for rel, data in contents.items():
            (self.top / rel).write_bytes(data)

    def restore(self) -> None:
        """Put the originals back, except in files changed since the run wrote them."""
        if not self._written:
            return
        kept = False
        for rel, ours in self._written.items():
            target = self.top / rel
            current = target.read_bytes() if target.exists() else None
            if current != ours:
                kept = True
                warn(
                    f"{rel}: changed while run {self.run_id} used it; kept as it is now (its "
                    f"content from before the run is in {self.journal}.kept)"
                )
                continue
            _put_back(target, self._originals[rel])
        self._written = {}
        _close_journal(self.journal, kept)


def _put_back(target: Path, original: bytes | None) -> None:
    if original is None:
        target.unlink(missing_ok=True)
    else:
        target.write_bytes(original)


def _close_journal(journal: Path, kept: bool) -> None:
    if kept:
        os.replace(journal, journal.with_name(journal.name + ".kept"))
    else:
        journal.unlink(missing_ok=True)


def _write_journal(
    path: Path, originals: Mapping[str, bytes | None], written: Mapping[str, bytes]
) -> None:
    import base64

    from gitops_ml.core.hashing import hash_bytes

    files = {
        rel: {
            "original": None
            if originals[rel] is None
            else base64.b64encode(originals[rel] or b"").decode(),
            "written": hash_bytes(data),
        }
        for rel, data in written.items()
    }
    write_atomic(path, json.dumps({"owner": owner_tag(), "files": files}), mkdir=True)


def recover(top: Path, restore_dir: Path) -> None:
    """Put back the params files of runs killed before they restored them.

    Journals are only ever written under the lock, so once this process holds it every
    journal left belongs to a dead run. While a live run holds it, nothing is touched.
    """
    try:
        journals = sorted(restore_dir.glob("*.json"))
    except OSError:
        return
    if not journals:
        return
    lock = ParamsLock(restore_dir)
    if not lock.acquire():
        return
    try:
        for journal in journals:
            _recover_one(top, journal)
    finally:
        lock.release()


def _recover_one(top: Path, journal: Path) -> None:
    import base64

    from gitops_ml.core.hashing import hash_bytes

    try:
        data = json.loads(journal.read_text())
        files = dict(data.get("files") or {})
    except (OSError, ValueError, AttributeError, TypeError):
        return
    run_id, kept = journal.stem, False
    for rel, item in files.items():
        target = top / rel
        current = target.read_bytes() if target.exists() else None
        if current is None or hash_bytes(current) != item.get("written"):
            kept = True
            warn(
                f"{rel}: changed since interrupted run {run_id} overrode it; its original"
                f" content is kept in {journal}.kept"
            )
            continue
        original = item.get("original")
        _put_back(target, None if original is None else base64.b64decode(original))
        warn(f"{rel}: restored after interrupted run {run_id} (killed before it finished)")
    _close_journal(journal, kept)
