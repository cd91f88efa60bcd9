"""Figure 7: `gitops-ml reproduce` of a recorded run, first and second time, vs DVC.

The example is the bundled one (``templates/example``: ``train.py`` reading ``params.json``
and ``data/``, writing ``metrics.json`` and ``models/model.json``, standard library only)
with an empty ``requirements.txt`` as its lockfile. gitops-ml records one run, then the
branch moves on (code and params changed, committed); ``gitops-ml reproduce <id> --verify``
is timed with an empty environment cache (a fresh ``XDG_CACHE_HOME`` every round: the
environment is rebuilt) and right after with the same cache (reused). DVC gets the same
example in its own repo: one ``dvc exp run``, the same change committed, then
``dvc exp apply <exp> && dvc repro`` (and ``dvc repro -f``), the committed state restored
untimed before every round.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import fixtures
import harness
from context import Ctx, log
from harness import Cmd
from peers import ROOT, tool_env
from report import Row, ms, times

EXAMPLE = ROOT / "templates" / "example"
LOCKFILE = "# the example needs the standard library only\n"
CHANGED_LR = 0.1  # the example's params.json says 0.05

DVC_YAML = """\
stages:
  train:
    cmd: {py} train.py
    deps:
      - train.py
      - data
    params:
      - params.json:
          - lr
          - epochs
          - l2
          - seed
    outs:
      - models
    metrics:
      - metrics.json:
          cache: false
"""


def _run(args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> str:
    out = subprocess.run(list(args), cwd=cwd, env={**os.environ, **env}, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(
            f"{' '.join(str(a) for a in args[:3])} failed ({out.returncode}): "
            f"{out.stderr.decode(errors='replace')[-2000:]}"
        )
    return out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")


def _example(top: Path, gitops: bool) -> None:
    """The bundled example project under ``top``, in a fresh git repo."""
    fixtures.init_repo(top)
    shutil.copy(EXAMPLE / "train.py", top / "train.py")
    shutil.copy(EXAMPLE / "params.json", top / "params.json")
    shutil.copytree(EXAMPLE / "data", top / "data")
    (top / "requirements.txt").write_text(LOCKFILE)
    if gitops:
        config = (EXAMPLE / "gitops-ml.yaml").read_text()
        (top / "gitops-ml.yaml").write_text(config + "lockfile: requirements.txt\n")
        # data/ is stored by hash in gitops-ml's cache, not in git (as in the example)
        (top / ".gitignore").write_text((EXAMPLE / "dot-gitignore").read_text())
    else:
        # DVC: data/ stays in git (an unchanged dependency); models/ is the stage's output
        (top / ".gitignore").write_text("__pycache__/\n")


def _move_on(top: Path) -> None:
    """Change code and params (as a later commit on the branch would), uncommitted."""
    params = json.loads((top / "params.json").read_text())
    params["lr"] = CHANGED_LR
    (top / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    with open(top / "train.py", "a") as fh:
        fh.write("# changed after the recorded run\n")


def gm_repo(ctx: Ctx) -> tuple[Path, str]:
    """The example with one recorded run, then code and params changed and committed."""
    top = fixtures.fresh_dir("reproduce-gm")
    _example(top, gitops=True)
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "example"], top)
    _run([ctx.gm_script(), "run", "--", "python", "train.py"], top, tool_env())
    refs = fixtures.git(["for-each-ref", "--format=%(refname:lstrip=2)", "refs/runs"], top)
    if len(refs.split()) != 1:
        raise RuntimeError(f"expected one recorded run, found {refs.split()}")
    run_id = refs.strip()
    _move_on(top)
    fixtures.git(["commit", "-q", "-a", "-m", "moved on"], top)
    return top, run_id


def dvc_repo(ctx: Ctx) -> tuple[Path, str]:
    """The example with one ``dvc exp run``, then the same change committed (and run)."""
    top = fixtures.fresh_dir("reproduce-dvc")
    _example(top, gitops=False)
    env = tool_env()
    dvc = str(ctx.dvc.bindir / "dvc")
    _run([dvc, "init", "-q"], top, env)
    _run([dvc, "config", "core.analytics", "false"], top, env)
    # the interpreter itself, as gitops-ml runs the rebuilt environment's (no pyenv shim)
    (top / "dvc.yaml").write_text(DVC_YAML.format(py=Path(sys.executable).resolve()))
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "example"], top)
    _run([dvc, "exp", "run", "-q"], top, env)
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "results"], top)
    names = _run([dvc, "exp", "ls", "-A", "--name-only"], top, env).split()
    if len(names) != 1:
        raise RuntimeError(f"expected one DVC experiment, found {names}")
    _move_on(top)
    _run([dvc, "repro", "-q"], top, env)
    fixtures.git(["add", "-A"], top)
    fixtures.git(["commit", "-q", "-m", "moved on"], top)
    return top, names[0]


def _restore(top: Path, dvc: str) -> None:
    """Back to the committed state (work tree and DVC outputs): every round does the same."""
    fixtures.git(["checkout", "-q", "--", "."], top)
    fixtures.git(["clean", "-fdq"], top)
    _run([dvc, "checkout", "-q"], top, tool_env())


def _verdict(gm: str, run_id: str, top: Path, env: Mapping[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [gm, "reproduce", run_id, "--verify", "--json"],
        cwd=top,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"gitops-ml reproduce exit {out.returncode}: {out.stderr[-2000:]}")
    got: dict[str, object] = json.loads(out.stdout)
    return got


def _faster(ratio: float) -> str:
    """A per-round ratio ours/theirs said the readable way."""
    return times(ratio, "slower") if ratio >= 1 else times(1 / ratio, "faster")


def fig7_reproduce(ctx: Ctx) -> list[Row]:
    """First (environment built) and second (reused) reproduce vs `dvc exp apply` + `dvc repro`."""
    top, run_id = gm_repo(ctx)
    dvc_top, exp = dvc_repo(ctx)
    dvc = str(ctx.dvc.bindir / "dvc")
    gm = ctx.gm_script()
    env = tool_env()
    # uv's own cache stays warm (nothing to download anyway): only gitops-ml's env cache is empty
    env["UV_CACHE_DIR"] = str(fixtures.fresh_dir("reproduce-uv-cache"))
    caches = fixtures.fresh_dir("reproduce-env-caches")
    rounds = [0]

    def fresh_cache() -> None:
        shutil.rmtree(caches / str(rounds[0]), ignore_errors=True)
        rounds[0] += 1
        (caches / str(rounds[0])).mkdir()
        env["XDG_CACHE_HOME"] = str(caches / str(rounds[0]))

    # one untimed pair first: the figure means what it says (built, then reused, verified)
    fresh_cache()
    first = _verdict(gm, run_id, top, env)
    second = _verdict(gm, run_id, top, env)
    built, reused = first["environment"], second["environment"]
    assert isinstance(built, dict) and isinstance(reused, dict)
    if built.get("reused") or not reused.get("reused") or not (first["ok"] and second["ok"]):
        raise RuntimeError(f"reproduce did not build then reuse: {built} / {reused}")
    if built.get("method") != "uv":  # uv is a dependency of gitops-ml: the default way
        raise RuntimeError(f"reproduce did not build with uv: {built}")
    # DVC keeps its own cache (site cache under XDG_CACHE_HOME) warm, as a user's would be
    denv = tool_env()
    _restore(dvc_top, dvc)
    applied = _run([dvc, "exp", "apply", exp], dvc_top, denv) + _run([dvc, "repro"], dvc_top, denv)
    lr = json.loads((dvc_top / "params.json").read_text())["lr"]
    if lr == CHANGED_LR or "didn't change, skipping" not in applied:
        raise RuntimeError(f"dvc exp apply + repro did not restore the experiment: {applied}")
    cmds = {
        "gm_first": Cmd([gm, "reproduce", run_id, "--verify"], top, env, setup=fresh_cache),
        "gm_second": Cmd([gm, "reproduce", run_id, "--verify"], top, env),
        "dvc": Cmd(
            f"{dvc} exp apply {exp} && exec {dvc} repro",
            dvc_top,
            denv,
            setup=lambda: _restore(dvc_top, dvc),
        ),
        "dvc_force": Cmd(
            f"{dvc} exp apply {exp} && exec {dvc} repro -f",
            dvc_top,
            denv,
            setup=lambda: _restore(dvc_top, dvc),
        ),
    }
    n = ctx.sizes.rounds
    log(f"fig 7: {n} alternating rounds of reproduce (fresh env cache) / reproduce / dvc x2")
    res = harness.alternate(cmds, n)
    shutil.rmtree(caches, ignore_errors=True)
    bad = harness.check_ok(res)
    if bad:
        raise RuntimeError(f"non-zero exit in figure 7: {bad}")
    g1, g2, d, df = res["gm_first"], res["gm_second"], res["dvc"], res["dvc_force"]
    vs_dvc = harness.paired_ratio(g1, d)
    vs_force = harness.paired_ratio(g1, df)
    second_share = harness.paired_ratio(g2, g1)
    data: dict[str, object] = {k: v.summary() for k, v in res.items()}
    data["untimed_pair"] = {
        "first": {"environment": built, "timings": first["timings"]},
        "second": {"environment": reused, "timings": second["timings"]},
    }
    t1, t2 = first["timings"], second["timings"]
    assert isinstance(t1, dict) and isinstance(t2, dict)
    what = "`gitops-ml reproduce <id> --verify` (bundled example, branch moved on)"
    honest = (
        "DVC does less: `exp apply` restores the experiment's files and outputs from its "
        "cache and `repro` finds the stage up to date, so train.py is not re-run, no "
        "environment is rebuilt (DVC has none: it runs in the current one) and no metric is "
        "compared; gitops-ml checks the run's snapshot out into a worktree, restores data "
        f"by hash, builds a venv with {built.get('method')} from requirements.txt, re-runs "
        "train.py as a new run and verifies every metric and output"
    )
    return [
        Row(
            "7",
            f"{what}, 1st: empty env cache, venv built",
            ms(g1.median),
            "`dvc exp apply <exp> && dvc repro`",
            ms(d.median),
            _faster(vs_dvc),
            "",
            "info",
            f"{honest}; median of {n} per-round ratios; one untimed 1st: environment {t1.get('environment')} s of "
            f"{t1.get('total')} s in-process",
            data,
        ),
        Row(
            "7",
            f"{what}, 1st: empty env cache, venv built",
            ms(g1.median),
            "`dvc exp apply <exp> && dvc repro -f` (re-runs train.py)",
            ms(df.median),
            _faster(vs_force),
            "",
            "info",
            "with -f DVC re-executes the stage like gitops-ml does; still no environment, "
            "no verification",
            {},
        ),
        Row(
            "7",
            f"{what}, 2nd: same cache, venv reused",
            ms(g2.median),
            "1st (env built)",
            ms(g1.median),
            f"{second_share * 100:.1f}% of 1st",
            "",
            "info",
            f"one untimed 2nd: environment {t2.get('environment')} s of {t2.get('total')} s "
            f"in-process; every round's 1st gets a fresh XDG_CACHE_HOME (uv's package cache "
            "kept; nothing to download)",
            {},
        ),
    ]
