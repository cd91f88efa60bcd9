"""A byte-counting progress bar for long data transfers (rich), shown only where it helps.

Shown when stderr is a terminal and the transfer is at least ``GITOPS_ML_PROGRESS_MIN_BYTES``
(default 8 MiB); ``GITOPS_ML_PROGRESS=always`` forces it (tests, CI logs),
``GITOPS_ML_PROGRESS=never`` turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


ENV_MODE = "GITOPS_ML_PROGRESS"
ENV_MIN_BYTES = "GITOPS_ML_PROGRESS_MIN_BYTES"
_DEFAULT_MIN_BYTES = 8 * 1024 * 1024


def wanted(total_bytes: int, enabled: bool = True) -> bool:
    """Whether a transfer of ``total_bytes`` gets a bar."""
    mode = os.environ.get(ENV_MODE, "auto").lower()
    if not enabled or mode == "never":
        return False
    if mode == "always":
        return True
    try:
        threshold = int(os.environ.get(ENV_MIN_BYTES, _DEFAULT_MIN_BYTES))
    except ValueError:
        threshold = _DEFAULT_MIN_BYTES
    return sys.stderr.isatty() and total_bytes >= threshold


class Transfer:
    """``with Transfer("pull", total, enabled) as bar: bar.advance(n)``; thread-safe."""

    def __init__(self, label: str, total_bytes: int, enabled: bool = True) -> None:
        self.label = label
        self.total = total_bytes
        self.show = wanted(total_bytes, enabled)
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Transfer:
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def advance(self, nbytes: int) -> None:
        if self._progress is not None:
            with self._lock:
                self._progress.update(self._task, advance=nbytes)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
