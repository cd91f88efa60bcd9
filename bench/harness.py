"""Whole-process and in-process timing (stdlib only).

Adapted from the peers' ``wallbench.py``: each command is started fresh, wall time runs
from just before the start to just after the reap, cpu and peak RSS come from
``wait4()``. Commands compared with each other run in one alternating loop
(A B C, A B C, ...) after uncounted warm-up rounds, so drift on a noisy box hits all alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Stats:
    """Samples of one measured thing, in seconds (cpu/rss only for whole processes)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def mean(self) -> float:
        return statistics.mean(self.wall)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": len(self.wall),
            "median_ms": round(self.median * 1000, 3),
            "mean_ms": round(self.mean * 1000, 3),
            "min_ms": round(min(self.wall) * 1000, 3),
            "max_ms": round(max(self.wall) * 1000, 3),
        }
        if self.cpu:
            out["cpu_median_ms"] = round(statistics.median(self.cpu) * 1000, 3)
        # peak RSS (self.rss_mib) is not reported: wait4's ru_maxrss of a child forked from
        # this driver includes the driver's own pages until exec, so it reads high
        if self.exit_codes:
            out["exit_codes"] = sorted(self.exit_codes)
        return out


@dataclass
class Cmd:
    """One whole-process command: argv (or a ``sh -c`` string), where, with what env."""

    argv: Sequence[str] | str
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    setup: Callable[[], None] | None = None  # untimed, before every run (and warm-up)


def timed(cmd: Cmd) -> tuple[float, float, float, int]:
    """One fresh process: (wall s, user+sys cpu s, peak RSS MiB, exit code)."""
    env = None
    if cmd.env is not None:
        env = {**os.environ, **cmd.env}
    shell = isinstance(cmd.argv, str)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd.argv,
        shell=shell,
        cwd=cmd.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, proc.returncode


def alternate(cmds: Mapping[str, Cmd], n: int, warmup: int = 1) -> dict[str, Stats]:
    """Run every command once per round, ``warmup`` uncounted rounds then ``n`` counted."""
    res = {name: Stats() for name in cmds}
    for i in range(warmup + n):
        for name, cmd in cmds.items():
            if cmd.setup is not None:
                cmd.setup()
            wall, cpu, rss, code = timed(cmd)
            res[name].exit_codes.add(code)
            if i >= warmup:
                res[name].wall.append(wall)
                res[name].cpu.append(cpu)
                res[name].rss_mib.append(rss)
    return res


def paired_ratio(a: Stats, b: Stats) -> float:
    """Median of the per-round ratios a/b (drift within a round cancels)."""
    return statistics.median(x / y for x, y in zip(a.wall, b.wall, strict=True))


def check_ok(stats: Mapping[str, Stats]) -> list[str]:
    """Names of commands that exited non-zero at least once."""
    return [name for name, s in stats.items() if s.exit_codes - {0}]
