"""Figure 8: the pull-request check (`gitops-ml ci verify`) on the bundled example.

The figure 7 repository (the bundled example, one run recorded, then code and params
changed and committed) gets one more run on its head commit: the change ``HEAD~1..HEAD``
claims that run. ``gitops-ml ci verify --base HEAD~1`` (find the claimed run, reproduce
it with ``--verify``, find the base's best, compare, write the result) is timed with an
empty environment cache (built) and with the same cache (reused), beside a bare
``gitops-ml reproduce <run> --verify`` of the same run with a warm cache: the difference
is what the check adds to the reproduction. (In GitHub Actions the job adds the
checkout, the setup action's install and the report job on top: see tests/ci.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import cases_reproduce
import fixtures
import harness
from context import Ctx, log
from harness import Cmd
from peers import tool_env
from report import Row, ms


def _pr_repo(ctx: Ctx) -> tuple[Path, str]:
    top, _ = cases_reproduce.gm_repo(ctx)
    # the change trades a little accuracy (lr 0.1 instead of 0.05): allowed, so the check passes
    with open(top / "gitops-ml.yaml", "a") as fh:
        fh.write("ci:\n  allowed_regression: rel:0.5\n")
    fixtures.git(["commit", "-q", "-a", "-m", "ci settings"], top)
    before = set(fixtures.git(["for-each-ref", "--format=%(refname)", "refs/runs"], top).split())
    subprocess.run(
        [ctx.gm_script(), "run", "-n", "pr", "--", "python", "train.py"],
        cwd=top,
        env={**tool_env()},
        check=True,
        capture_output=True,
    )
    after = set(fixtures.git(["for-each-ref", "--format=%(refname)", "refs/runs"], top).split())
    (ref,) = after - before
    return top, ref.rsplit("/", 1)[1]


def fig8_ci(ctx: Ctx) -> list[Row]:
    """`ci verify` with the environment built / reused, vs `reproduce --verify` (reused)."""
    top, run_id = _pr_repo(ctx)
    gm = ctx.gm_script()
    env = dict(tool_env())
    env["UV_CACHE_DIR"] = str(fixtures.fresh_dir("ci-uv-cache"))
    caches = fixtures.fresh_dir("ci-env-caches")
    warm = caches / "warm"
    warm.mkdir()
    rounds = [0]

    def fresh_cache() -> None:
        shutil.rmtree(caches / str(rounds[0]), ignore_errors=True)
        rounds[0] += 1
        (caches / str(rounds[0])).mkdir()
        env_built["XDG_CACHE_HOME"] = str(caches / str(rounds[0]))

    env_built = dict(env)
    env_warm = {**env, "XDG_CACHE_HOME": str(warm)}
    verify = [gm, "ci", "verify", "--base", "HEAD~1", "--head", "HEAD", "--json"]
    out = subprocess.run(
        verify, cwd=top, env={**tool_env(), **env_warm}, capture_output=True, text=True
    )
    result = json.loads(out.stdout)
    if out.returncode != 0 or [c["id"] for c in result["claimed"]] != [run_id]:
        raise RuntimeError(f"ci verify did not pass on the claimed run: {out.stderr[-1500:]}")
    cmds = {
        "ci_built": Cmd(verify, top, env_built, setup=fresh_cache),
        "ci_reused": Cmd(verify, top, env_warm),
        "reproduce": Cmd([gm, "reproduce", run_id, "--verify"], top, env_warm),
    }
    n = ctx.sizes.rounds
    log(f"fig 8: {n} alternating rounds of ci verify (fresh env cache) / ci verify / reproduce")
    res = harness.alternate(cmds, n)
    shutil.rmtree(caches, ignore_errors=True)
    bad = harness.check_ok(res)
    if bad:
        raise RuntimeError(f"non-zero exit in figure 8: {bad}")
    built, reused, rep = res["ci_built"], res["ci_reused"], res["reproduce"]
    data: dict[str, object] = {k: v.summary() for k, v in res.items()}
    data["untimed_result_seconds"] = result["seconds"]
    what = "`gitops-ml ci verify` (PR check, 1 claimed run, bundled example)"
    return [
        Row(
            "8",
            f"{what}, environment built",
            ms(built.median),
            "`gitops-ml reproduce <run> --verify`, environment reused",
            ms(rep.median),
            cases_reproduce._faster(harness.paired_ratio(built, rep)),
            "",
            "info",
            f"median of {n} per-round ratios; the built round includes the venv build with uv",
            data,
        ),
        Row(
            "8",
            f"{what}, environment reused",
            ms(reused.median),
            "`gitops-ml reproduce <run> --verify`, environment reused",
            ms(rep.median),
            cases_reproduce._faster(harness.paired_ratio(reused, rep)),
            "",
            "info",
            "what the check adds to the reproduction: claimed runs (rev-list + index), the "
            "base's best and trend, the comparison, the result JSON",
            {},
        ),
    ]
