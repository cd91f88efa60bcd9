"""Figure 4: start-up of the CLI and the hook scripts, and where their imports go."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import harness
from context import Ctx, log
from harness import Cmd
from peers import tool_env
from report import Row, ms, times

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


@dataclass
class Imp:
    name: str
    self_us: int
    cum_us: int
    level: int
    parent: str | None = None


def parse_importtime(text: str) -> list[Imp]:
    """``-X importtime`` lines (children are printed before their parent)."""
    out: list[Imp] = []
    pending: dict[int, list[Imp]] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        imp = Imp(m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2)
        for child in pending.pop(imp.level + 1, []):
            child.parent = imp.name
        pending.setdefault(imp.level, []).append(imp)
        out.append(imp)
    return out


def summarize(imps: list[Imp], startup: set[str]) -> dict[str, object]:
    """Totals of the top-level imports, without the interpreter's own start-up (``site``...)."""
    top = [i for i in imps if i.level == 0 and i.name not in startup]
    ours = [i for i in top if i.name.split(".")[0] == "gitops_ml"]

    def entry(i: Imp) -> bool:
        own = i.name.split(".")[0] == "gitops_ml"
        under_ours = (i.parent is None and i.name not in startup) or (
            i.parent is not None and i.parent.split(".")[0] == "gitops_ml"
        )
        return not own and under_ours

    heavy = sorted((i for i in imps if entry(i)), key=lambda i: -i.cum_us)[:5]
    return {
        "total_ms": sum(i.cum_us for i in top) / 1000,
        "gitops_ml_ms": sum(i.cum_us for i in ours) / 1000,
        "modules": len(imps),
        "top5": [(i.name, round(i.cum_us / 1000, 1)) for i in heavy],
    }


def _importtime(ctx: Ctx, argv: list[str], cwd: Path | None) -> list[Imp]:
    proc = subprocess.run(
        [str(ctx.gm.python), "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **tool_env()},
    )
    return parse_importtime(proc.stderr)


def importtime(
    ctx: Ctx, script: str, args: list[str], reps: int = 5, cwd: Path | None = None
) -> dict[str, object]:
    """Median total over ``reps`` runs; the breakdown of the median one."""
    startup = {i.name for i in _importtime(ctx, ["-c", "pass"], cwd) if i.level == 0}
    runs = []
    for _ in range(reps):
        runs.append(summarize(_importtime(ctx, [script, *args], cwd), startup))
    runs.sort(key=lambda r: float(r["total_ms"]))  # type: ignore[arg-type]
    mid = runs[len(runs) // 2]
    mid["totals_ms"] = [r["total_ms"] for r in runs]
    return mid


def fig4_startup(ctx: Ctx) -> list[Row]:
    top, _ = ctx.worktree()
    env = tool_env()
    hooks = [h for h in ("gitops-ml-check-config", "gitops-ml-no-data-in-git") if ctx.gm.script(h)]
    cmds = {
        "gitops-ml --help": Cmd([ctx.gm_script(), "--help"], top, env),
        **{f"{h} --help": Cmd([ctx.gm_script(h), "--help"], top, env) for h in hooks},
        "python -c pass": Cmd([str(ctx.gm.python), "-c", "pass"], top, env),
        "git --version": Cmd(["git", "--version"], top, env),
        "dvc --version": Cmd([str(ctx.dvc.bindir / "dvc"), "--version"], top, env),
        "mlflow --version": Cmd([str(ctx.mlflow.bindir / "mlflow"), "--version"], top, env),
    }
    n = ctx.sizes.rounds
    log(f"fig 4: {n} alternating rounds of {len(cmds)} start-up commands")
    res = harness.alternate(cmds, n)
    ours = res["gitops-ml --help"]
    rows = []
    for peer in ("python -c pass", "git --version", "dvc --version", "mlflow --version"):
        theirs = res[peer]
        r = theirs.median / ours.median
        rows.append(
            Row(
                "4",
                "`gitops-ml --help` start-up (wall median)",
                ms(ours.median),
                f"`{peer}`",
                ms(theirs.median),
                times(r, "faster") if r >= 1 else times(1 / r, "slower"),
                "",
                "info",
            )
        )
    for h in hooks:
        s = res[f"{h} --help"]
        r = s.median / res["python -c pass"].median
        rows.append(
            Row(
                "4",
                f"`{h} --help` start-up",
                ms(s.median),
                "`python -c pass`",
                ms(res["python -c pass"].median),
                times(r, "slower"),
                "",
                "info",
            )
        )
    if not hooks:
        rows.append(
            Row(
                "4",
                "hook scripts start-up",
                "not available",
                verdict="n/a",
                note="gitops-ml-check-config / gitops-ml-no-data-in-git not installed",
            )
        )
    log("fig 4: -X importtime")
    for script, label in [
        ("gitops-ml", "`gitops-ml --help`"),
        *((h, f"`{h} --help`") for h in hooks),
    ]:
        it = importtime(ctx, ctx.gm_script(script), ["--help"])
        top5 = ", ".join(f"{name} {cum:.1f}" for name, cum in it["top5"])  # type: ignore[attr-defined]
        rows.append(
            Row(
                "4",
                f"{label}: `-X importtime` total (top-level imports after interpreter start-up)",
                f"{it['total_ms']:.1f} ms",
                "of which gitops_ml.*",
                f"{it['gitops_ml_ms']:.1f} ms",
                "",
                "",
                "info",
                f"{it['modules']} modules; top 5 imports (ms, cumulative): {top5}",
                it,
            )
        )
    rows[0].data = {k: v.summary() for k, v in res.items()}
    rows[0].note = f"{n} alternating rounds"
    return rows
