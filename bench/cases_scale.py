"""Figure "scale": storage v2 at a year of runs, as ratios measured side by side in one run.

At each size N (runs on one commit, written by ``bulk_runs``: 10 params, 10 metrics, the
bundled example's snapshot, then compacted as recording would have left them: archived
1,001 at a time, ``N mod 1,001`` still refs), against the same operation at the smallest
scale or in plain git:

- logging one run in-process (Python API, 8 alternated rounds of 5 runs, the median of the
  per-round ratios), N runs vs a fresh repository (target <= 1.2x), and the same with recording's compaction spread over the
  runs between two compactions (the run crossing the threshold, measured);
- packed size per run after ``git repack -adf`` (target <= 2 KB);
- the first ``gitops-ml sync`` to an empty bare remote vs a raw ``git push`` of the same
  refs and objects (a copy, compacted as sync does) to another empty bare remote (target
  <= 1.5x);
- a fresh clone's first ``sync`` vs a raw ``git fetch`` of the same refs (<= 1.5x);
- a later ``sync`` with 20 new runs vs a no-op ``sync`` (<= 2x);
- a plain ``git push`` of a branch to the remote holding the runs vs to a remote without
  them (alternated, median; <= 1.5x);
- info: a repository whose N runs were never compacted (0.1, or the threshold raised):
  its first sync vs a raw push of the N run refs, as plain git users would.

Growth is read across sizes (at least two). ``python bench/cases_scale.py --sizes 10000
100000`` runs it alone and prints the rows as JSON; ``bench/run.py --only scale`` runs it
beside the other figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bulk_runs

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work" / "scale"

LOG_SCRIPT = r"""
import json, sys, time, statistics
import gitops_ml
times = []
for i in range(int(sys.argv[1])):
    t = time.perf_counter()
    with gitops_ml.start_run(name=None) as run:
        run.log_params({f"p{j}": i + j / 10 for j in range(10)})
        run.log_metrics({f"m{j}": (i * j) % 7 / 7 for j in range(10)})
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def _env() -> dict[str, str]:
    return {**os.environ, **bulk_runs.QUIET}


def _timed(args: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, env=_env())
    took = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args[:3])} failed: {proc.stderr.decode()[-1500:]}")
    return took


def _bare(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    bulk_runs.git(["init", "-q", "--bare", str(path)], path.parent)
    return path


def log_times(top: Path, python: str, n: int) -> list[float]:
    out = subprocess.run(
        [python, "-c", LOG_SCRIPT, str(n)], cwd=top, capture_output=True, text=True, env=_env()
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-1500:])
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def packed_bytes(top: Path) -> int:
    bulk_runs.git(["repack", "-a", "-d", "-f", "-q"], top)
    stats = dict(
        line.split(": ", 1) for line in bulk_runs.git(["count-objects", "-v"], top).splitlines()
    )
    return int(stats["size-pack"]) * 1024


def branch_push_ratio(with_runs: Path, without: Path, rounds: int) -> tuple[float, float]:
    work = WORK / "pusher"
    shutil.rmtree(work, ignore_errors=True)
    bulk_runs.git(["clone", "-q", "-b", "main", str(without), str(work)], WORK)
    bulk_runs.git(["push", "-q", "--force", str(with_runs), "main:main"], work)
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        for target, bucket in ((with_runs, a), (without, b)):
            bulk_runs.git(["commit", "-q", "--allow-empty", "-m", "x"], work)
            bucket.append(_timed(["git", "push", "-q", str(target), "HEAD:main"], work))
    return statistics.median(a), statistics.median(b)


def _copy(src: Path, name: str) -> Path:
    dst = WORK / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _run_refs(top: Path) -> int:
    return len(bulk_runs.git(["for-each-ref", "--format=x", "refs/runs/"], top).split())


def local_above(python: str) -> int:
    """The run refs recording leaves in place (gitops_ml.core.archive.LOCAL_ABOVE) of the
    gitops-ml measured (its own interpreter: the driver may not import it)."""
    code = "from gitops_ml.core.archive import LOCAL_ABOVE as n; print(n)"
    return int(subprocess.run([python, "-c", code], capture_output=True, text=True).stdout)


def left_by_recording(n: int, python: str) -> int:
    """The run refs a clone that recorded ``n`` runs holds: recording archives them all
    whenever more than ``LOCAL_ABOVE`` gather (gitops_ml.core.archive.maybe_compact)."""
    return n % (local_above(python) + 1)


REFS = ["refs/gitops-ml/*:refs/gitops-ml/*", "refs/notes/*:refs/notes/*"]  # what sync pushes


def first_sync(
    exe: list[str], top: Path, remote: Path, raw: Path, refs: list[str]
) -> tuple[float, float]:
    """``(seconds of the first sync of top to remote, of a raw push of refs from raw)``,
    each to a new bare remote that holds the branch already."""
    other = _bare(remote.with_name(remote.name.replace(".git", "-raw.git")))
    _bare(remote)
    bulk_runs.git(["push", "-q", str(remote), "main"], top)
    bulk_runs.git(["push", "-q", str(other), "main"], raw)
    synced = _timed([*exe, "sync", str(remote)], top)
    pushed = _timed(["git", "push", "-q", str(other), *refs], raw)
    return synced, pushed


def crossing(top: Path, python: str, got: dict[str, Any]) -> None:
    """The recording that crosses the threshold archives every run ref: its own cost, and
    that cost spread over the runs between two compactions."""
    above = local_above(python)
    times = log_times(top, python, above + 1 - _run_refs(top) + 2)
    if _run_refs(top) > 2:
        raise RuntimeError("recording past the threshold did not archive the run refs")
    typical = statistics.median(times[1:])
    got["compacting_run_ms"] = max(times) * 1000
    got["compaction_per_run_ms"] = (max(times) - typical) * 1000 / (above + 1)


def measure(n: int, exe: list[str], python: str, rounds: int) -> dict[str, Any]:
    """Every figure at one size ``n``."""
    got: dict[str, Any] = {"runs": n}
    built = WORK / f"runs-{n}"
    t = time.perf_counter()
    # the repository as recording leaves it: the runs archived 1,001 at a time as they
    # were recorded, the ones since the last compaction still refs
    keep = left_by_recording(n, python)
    bulk_runs.make(built, n, compact=keep, exe=exe)
    got["fixture_s"] = round(time.perf_counter() - t, 1)
    got["run_refs_left"] = keep
    # Every measured repository is a copy: the fixture's refs/runs directory once held N
    # loose refs (before pack-refs) and stays that big on ext4, which made git's ref
    # deletions 3-4x slower in the original than in a copy (18 s vs 4-6 s).
    top = _copy(built, f"sync-{n}")
    shutil.rmtree(built)
    crossing(top, python, got)
    # a one-run repository made now, beside this size's (one reused across sizes had run
    # every earlier size's logging rounds: it measured 8.3-9.2 ms at the 100,000 stage of
    # a full run against 11 ms new, and the ratio with it 1.23-1.37x against 1.04x)
    fresh = WORK / f"fresh-{n}"
    shutil.rmtree(fresh, ignore_errors=True)
    bulk_runs.make(fresh, 1, exe=exe)
    # logging: alternated batches, fresh vs at n; the ratio is the median of the per-round
    # ratios (a box whose speed drifts between rounds moves both sides of a round alike)
    at_n: list[float] = []
    at_1: list[float] = []
    per_round: list[float] = []
    for _ in range(max(8, rounds)):  # a process's first run (imports, environment) left out
        mine, base = log_times(top, python, 6)[1:], log_times(fresh, python, 6)[1:]
        at_n += mine
        at_1 += base
        per_round.append(statistics.median(mine) / statistics.median(base))
    got["log_ms"] = statistics.median(at_n) * 1000
    got["log_fresh_ms"] = statistics.median(at_1) * 1000
    got["log_round_ratio"] = statistics.median(per_round)
    # the same runs for the raw push, archived as sync will push them
    raw = _copy(top, f"raw-{n}")
    subprocess.run([*exe, "runs", "compact"], cwd=raw, check=True, capture_output=True, env=_env())
    remote_sync = WORK / f"remote-sync-{n}.git"
    got["first_sync_s"], got["raw_push_s"] = first_sync(exe, top, remote_sync, raw, REFS)
    shutil.rmtree(raw)
    # a fresh clone's first sync vs a raw fetch of the same refs
    clone_a = WORK / f"clone-a-{n}"
    clone_b = WORK / f"clone-b-{n}"
    for c in (clone_a, clone_b):
        shutil.rmtree(c, ignore_errors=True)
        # --no-local: a local clone would hard-link every object (runs included)
        bulk_runs.git(["clone", "-q", "--no-local", "-b", "main", str(remote_sync), str(c)], WORK)
    got["clone_sync_s"] = _timed([*exe, "sync"], clone_a)
    got["raw_fetch_s"] = _timed(["git", "fetch", "-q", "origin", *[f"+{r}" for r in REFS]], clone_b)
    # 20 new runs, then a no-op sync
    log_times(top, python, 20)
    got["sync_20_s"] = _timed([*exe, "sync", str(remote_sync)], top)
    got["sync_noop_s"] = statistics.median(
        _timed([*exe, "sync", str(remote_sync)], top) for _ in range(5)
    )
    # a plain branch push: the remote holding the runs vs one without
    without = _bare(WORK / f"remote-empty-{n}.git")
    bulk_runs.git(["push", "-q", str(without), "main"], top)
    with_s, without_s = branch_push_ratio(remote_sync, without, rounds=max(5, rounds * 2))
    got["push_with_runs_ms"] = with_s * 1000
    got["push_without_ms"] = without_s * 1000
    got["remote_refs"] = len(
        bulk_runs.git(["for-each-ref", "--format=%(refname)"], remote_sync).splitlines()
    )
    count = "from gitops_ml.core import gitstore as g; print(len(g.list_runs(g.open_repo())))"
    got["listed_runs"] = int(
        subprocess.run([python, "-c", count], cwd=top, capture_output=True, text=True).stdout
    )
    legacy(n, exe, got)
    got["packed_bytes_per_run"] = None
    return got


def legacy(n: int, exe: list[str], got: dict[str, Any]) -> None:
    """A repository whose N runs were never compacted (written by 0.1, or recorded with
    ``GITOPS_ML_COMPACT_ABOVE`` raised): its first sync pays the compaction once, and
    what plain git users would do is push the N run refs."""
    built = WORK / f"legacy-{n}"
    bulk_runs.make(built, n, exe=exe)
    top = _copy(built, f"legacy-sync-{n}")
    plain = _copy(built, f"legacy-plain-{n}")
    shutil.rmtree(built)
    got["legacy_first_sync_s"], got["raw_push_run_refs_s"] = first_sync(
        exe, top, WORK / f"remote-legacy-{n}.git", plain, ["refs/runs/*:refs/runs/*", *REFS]
    )
    shutil.rmtree(top)
    shutil.rmtree(plain)


def run(sizes: list[int], exe: list[str], python: str, rounds: int = 3) -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    fresh = WORK / "fresh"
    bulk_runs.make(fresh, 1, exe=exe)
    base_pack = packed_bytes(fresh)
    results = []
    for n in sizes:
        got = measure(n, exe, python, rounds)
        got["packed_bytes_per_run"] = round(
            (packed_bytes(WORK / f"sync-{n}") - base_pack) / max(1, got["listed_runs"] - 1)
        )
        got["ratios"] = {
            "log_vs_fresh": got["log_round_ratio"],
            "first_sync_vs_raw_push": got["first_sync_s"] / got["raw_push_s"],
            "legacy_first_sync_vs_raw_push_of_run_refs": got["legacy_first_sync_s"]
            / got["raw_push_run_refs_s"],
            "log_with_compaction_vs_fresh": got["log_round_ratio"]
            + got["compaction_per_run_ms"] / got["log_fresh_ms"],
            "clone_sync_vs_raw_fetch": got["clone_sync_s"] / got["raw_fetch_s"],
            "sync_20_vs_noop": got["sync_20_s"] / got["sync_noop_s"],
            "branch_push_with_vs_without_runs": got["push_with_runs_ms"] / got["push_without_ms"],
        }
        print(json.dumps(got), flush=True)
        results.append(got)
    return results


TARGETS = {
    "log_vs_fresh": 1.2,
    "log_with_compaction_vs_fresh": 1.2,
    "first_sync_vs_raw_push": 1.5,
    "clone_sync_vs_raw_fetch": 1.5,
    "sync_20_vs_noop": 2.0,
    "branch_push_with_vs_without_runs": 1.5,
}


def fig_scale(ctx: Any) -> list[Any]:
    """Rows for bench/run.py (sizes: 1,000 and 5,000 quick; 10,000 and 100,000 full)."""
    from report import Row, times, verdict

    sizes = [1_000, 5_000] if ctx.quick else [10_000, 100_000]
    exe = [ctx.gm_script()]
    results = run(sizes, exe, str(ctx.gm.python))
    rows = []
    for got in results:
        n = got["runs"]
        for key, target in TARGETS.items():
            ratio = got["ratios"][key]
            rows.append(
                Row(
                    fig="scale",
                    what=f"{key.replace('_', ' ')}, {n:,} runs",
                    ours="",
                    ratio=times(ratio),
                    target=f"<= {target}x",
                    verdict=verdict(ratio <= target),
                    data=got,
                )
            )
        legacy_ratio = got["ratios"]["legacy_first_sync_vs_raw_push_of_run_refs"]
        rows.append(
            Row(
                fig="scale",
                what=f"first sync of {n:,} never-compacted runs vs raw push of the run refs",
                ours=f"{got['legacy_first_sync_s']:.2f} s",
                ratio=times(legacy_ratio),
                target="info",
                verdict="info",
                data=got,
            )
        )
        size = got["packed_bytes_per_run"]
        rows.append(
            Row(
                fig="scale",
                what=f"packed size per run, {n:,} runs",
                ours=f"{size} B",
                target="<= 2048 B",
                verdict=verdict(size <= 2048),
                data=got,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--gitops-ml", default=shutil.which("gitops-ml") or "gitops-ml")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "scale.json")
    args = ap.parse_args(argv)
    results = run(args.sizes, [args.gitops_ml], sys.executable, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
