"""Real network remotes for tests: ``git daemon`` on loopback, started and stopped here."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refused_url() -> str:
    """A git:// URL on a loopback port where nothing listens (connection refused)."""
    return f"git://127.0.0.1:{free_port()}/nothing.git"


@contextlib.contextmanager
def git_daemon(
    base: Path, *, receive_pack: bool = True
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve every repository under ``base``; yields ``(git://127.0.0.1:PORT, process)``."""
    port = free_port()
    args = [
        "git",
        "daemon",
        "--export-all",
        "--reuseaddr",
        f"--base-path={base}",
        f"--port={port}",
        "--listen=127.0.0.1",
    ]
    if receive_pack:
        args.append("--enable=receive-pack")
    proc = subprocess.Popen(
        [*args, str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("git daemon did not start")
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
