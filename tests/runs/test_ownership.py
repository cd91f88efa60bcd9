"""Owner tags of state a run leaves on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gitops_ml.runs import ownership


def test_this_process_is_alive_and_a_finished_one_is_not(tmp_path: Path) -> None:
    assert ownership.owner_alive(ownership.owner_tag())
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    assert not ownership.owner_alive(f"{os.uname().nodename} {done.stdout.strip()}")
    assert ownership.owner_alive("another-host 1")  # cannot tell: assume it runs
    assert not ownership.owner_alive(f"{os.uname().nodename} not-a-pid")
    assert ownership.owner_file(tmp_path / "wt" / "01J9") == tmp_path / "wt" / "01J9.owner"
