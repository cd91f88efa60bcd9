"""Figure 5: hashing throughput and the stat cache (data versioning)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from pathlib import Path

import fixtures
import harness
from context import Ctx, log
from harness import Cmd, Stats
from peers import tool_env
from report import Row, mbs, ms, times, verdict

CHUNK = 1 << 20


def _random_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(CHUNK * 8, left)
            fh.write(os.urandom(n))
            left -= n


def _fixture(ctx: Ctx) -> tuple[Path, Path, Path, int]:
    top = fixtures.fresh_dir("hash")
    fixtures.init_repo(top)
    (top / "gitops-ml.yaml").write_text("data:\n  - data/\n")
    (top / ".gitignore").write_text("/data/\n/big.bin\n")
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "config"], top)
    big = top / "big.bin"
    _random_file(big, ctx.sizes.big_bytes)
    data = top / "data"
    per_dir = 100
    total = 0
    for i in range(ctx.sizes.small_files):
        sub = data / f"d{i // per_dir:03d}"
        if i % per_dir == 0:
            sub.mkdir(parents=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(ctx.sizes.small_bytes))
        total += ctx.sizes.small_bytes
    return top, big, data, total


def fig5_hash(ctx: Ctx) -> list[Row]:
    s = ctx.sizes
    log(f"fig 5: fixture: {s.big_bytes / 2**20:,.0f} MiB file + {s.small_files:,} files")
    top, big, data, small_total = _fixture(ctx)
    try:
        return _measure(ctx, top, big, data, small_total)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _measure(ctx: Ctx, top: Path, big: Path, data: Path, small_total: int) -> list[Row]:
    env = tool_env()
    w = ctx.worker(ctx.gm.python, "gm_worker.py", top)
    w.call("setup", workdir=str(top))
    w.call("raw_blake3", path=str(big))  # page cache warm
    w.call("raw_blake3", path=str(data))
    sha_big = Cmd(["sha256sum", str(big)], top, env)
    md5_big = Cmd(["md5sum", str(big)], top, env)
    sha_dir = Cmd("find data -type f -print0 | xargs -0 sha256sum > /dev/null", top, env)
    md5_dir = Cmd("find data -type f -print0 | xargs -0 md5sum > /dev/null", top, env)
    keys = ["hash_file", "raw", "sha256sum", "md5sum", "hash_path", "raw_dir", "sha_dir", "md5_dir"]
    res = {k: Stats() for k in keys}
    digests: dict[str, set[str]] = {"big": set()}
    log(f"fig 5: {ctx.sizes.hash_reps} interleaved rounds")
    for _ in range(ctx.sizes.hash_reps):
        got = w.call("hash_file", path=str(big))
        res["hash_file"].wall.append(got["s"])
        digests["big"].add(got["digest"])
        got = w.call("raw_blake3", path=str(big))
        res["raw"].wall.append(got["s"])
        digests["big"].add(got["digest"])
        res["sha256sum"].wall.append(harness.timed(sha_big)[0])
        res["md5sum"].wall.append(harness.timed(md5_big)[0])
        res["hash_path"].wall.append(w.call("hash_path", top=str(top), rel="data", cache=None)["s"])
        res["raw_dir"].wall.append(w.call("raw_blake3", path=str(data))["s"])
        res["sha_dir"].wall.append(harness.timed(sha_dir)[0])
        res["md5_dir"].wall.append(harness.timed(md5_dir)[0])
    if len(digests["big"]) != 1:
        raise RuntimeError(f"hash_file and raw blake3 disagree: {digests['big']}")
    size_big = big.stat().st_size

    def rate(key: str, size: int) -> float:
        return size / 1e6 / statistics.median(res[key].wall)

    rows: list[Row] = []
    label_big = (
        f"{size_big / 2**30:g} GiB random file"
        if size_big >= 2**30
        else f"{size_big / 2**20:g} MiB random file"
    )
    n_files = ctx.sizes.small_files
    label_dir = f"{n_files:,} files, {small_total / 2**30:.2f} GiB total"
    for what, ours_key, raw_key, sha_key, md5_key, size in (
        (f"`hashing.hash_file`, {label_big}", "hash_file", "raw", "sha256sum", "md5sum", size_big),
        (
            f"`hashing.hash_path` (no cache), {label_dir}",
            "hash_path",
            "raw_dir",
            "sha_dir",
            "md5_dir",
            small_total,
        ),
    ):
        ours = rate(ours_key, size)
        raw = rate(raw_key, size)
        sha = rate(sha_key, size)
        md5 = rate(md5_key, size)
        rows += [
            Row(
                "5",
                what,
                mbs(ours),
                "raw `blake3`, 1 thread, 1 MiB updates",
                mbs(raw),
                times(ours / raw, "of raw"),
                ">= 0.75x",
                verdict(ours / raw >= 0.75),
                data={k: res[k].summary() for k in (ours_key, raw_key, sha_key, md5_key)},
            ),
            Row(
                "5",
                what,
                mbs(ours),
                "`sha256sum`",
                mbs(sha),
                times(ours / sha, "faster"),
                ">= 5x faster",
                verdict(ours / sha >= 5.0),
            ),
            Row(
                "5", what, mbs(ours), "`md5sum`", mbs(md5), times(ours / md5, "faster"), "", "info"
            ),
        ]
    rows[0].note = (
        "MB = 10^6 bytes; page cache warm; median of "
        f"{ctx.sizes.hash_reps} interleaved rounds; hash_file uses mmap + blake3 threads above 4 MiB"
    )
    rows[
        3
    ].note = "raw blake3 here walks the folder with rglob and hashes each file; CLI tools via find | xargs"
    rows += _status(ctx, w, top, env)
    return rows


def _status(ctx: Ctx, w: object, top: Path, env: dict[str, str]) -> list[Row]:
    """`gitops-ml data status` with nothing changed: second run vs first (cache deleted)."""
    from context import Worker

    assert isinstance(w, Worker)
    gm = ctx.gm_script()
    cache = top / ".git" / "gitops-ml" / "hashcache.bin"
    has_cmd = (
        subprocess.run(
            [gm, "data", "status", "--help"],
            cwd=top,
            capture_output=True,
            env={**os.environ, **env},
        ).returncode
        == 0
    )
    rows: list[Row] = []
    if has_cmd:
        first = Cmd([gm, "data", "status"], top, env, setup=lambda: cache.unlink(missing_ok=True))
        second = Cmd([gm, "data", "status"], top, env)
        res = harness.alternate({"first": first, "second": second}, ctx.sizes.hash_reps, warmup=0)
        bad = harness.check_ok(res)
        if bad:
            raise RuntimeError(f"gitops-ml data status failed ({bad}): run it in {top}")
        a, b = res["first"], res["second"]
        r = harness.paired_ratio(b, a)
        rows.append(
            Row(
                "5",
                "`gitops-ml data status`, nothing changed: 2nd run (whole process)",
                ms(b.median),
                "1st run (hash cache deleted)",
                ms(a.median),
                f"{r:.1%} of 1st",
                "< 5%",
                verdict(r < 0.05),
                data={"first": a.summary(), "second": b.summary()},
            )
        )
    # the same in-process: a fresh vs a warm HashCache over the folder
    cold_s, warm_s = Stats(), Stats()
    path = str(top / ".git" / "bench-hashcache.bin")
    for _ in range(ctx.sizes.hash_reps):
        Path(path).unlink(missing_ok=True)
        cold_s.wall.append(w.call("hash_path", top=str(top), rel="data", cache=path)["s"])
        warm_s.wall.append(w.call("hash_path", top=str(top), rel="data", cache=path)["s"])
    r = statistics.median(warm_s.wall) / statistics.median(cold_s.wall)
    rows.append(
        Row(
            "5",
            "`hash_path` with a warm `HashCache` (in-process)",
            ms(statistics.median(warm_s.wall)),
            "fresh `HashCache`",
            ms(statistics.median(cold_s.wall)),
            f"{r:.1%} of fresh",
            "< 5%",
            verdict(r < 0.05) if not has_cmd else "info",
            "" if has_cmd else "`gitops-ml data status` not available: in-process only",
            {"fresh": cold_s.summary(), "warm": warm_s.summary()},
        )
    )
    return rows
