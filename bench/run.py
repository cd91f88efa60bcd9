"""gitops-ml side by side with MLflow, DVC and plain git, in one run.

    python bench/run.py [--quick] [--only NAME...] [--use-current]

Writes bench/results/latest.md and latest.json and prints the table. Peer venvs are made
under bench/.venvs on first use; fixtures live in bench/.work (rebuilt every run).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases_ci
import cases_datastatus
import cases_hash
import cases_hooks
import cases_list
import cases_record
import cases_reproduce
import cases_scale
import cases_serve
import cases_startup
import peers
import report
from context import FULL, QUICK, Ctx, log
from report import Row

CASES: dict[str, tuple[str, Callable[[Ctx], list[Row]]]] = {
    "run": ("1", cases_record.fig1_run),
    "rungit": ("1", cases_record.fig1_run_git),
    "log": ("2", cases_record.fig2_log),
    "list": ("3", cases_list.fig3_list),
    "list100k": ("3b", cases_list.fig3b_list100k),
    "startup": ("4", cases_startup.fig4_startup),
    "hooks": ("6", cases_hooks.fig6_hooks),
    "hash": ("5", cases_hash.fig5_hash),
    "reproduce": ("7", cases_reproduce.fig7_reproduce),
    "ci": ("8", cases_ci.fig8_ci),
    "datastatus": ("9", cases_datastatus.fig9_data_status),
    "scale": ("scale", cases_scale.fig_scale),
    "serve": ("10", cases_serve.fig8_serve),
}
# only with --only: a subset of another case; figure 3 at 100,000 runs (~8 min, MLflow's)
ON_REQUEST = {"rungit", "list100k"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few rounds (smoke test)")
    ap.add_argument(
        "--only",
        nargs="+",
        choices=sorted(CASES),
        metavar="NAME",
        help=f"run only these cases: {', '.join(CASES)}",
    )
    ap.add_argument(
        "--use-current",
        action="store_true",
        help="measure gitops-ml from this interpreter instead of bench/.venvs/gitops-ml",
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    ctx = Ctx(
        sizes=QUICK if args.quick else FULL, quick=args.quick, gm=peers.gitops_ml(args.use_current)
    )
    if args.use_current:
        # measured processes inherit this environment: with PYTHONDONTWRITEBYTECODE set, an
        # editable checkout would be compiled from source on every start (~100 ms), which
        # no installed package does
        import compileall

        import gitops_ml

        compileall.compile_dir(Path(gitops_ml.__file__).parent, quiet=1)
    ctx.versions.update(
        {
            "gitops-ml": ctx.gm.version,
            "git": peers.git_version().split()[-1],
            "python": platform.python_version(),
        }
    )
    rows: list[Row] = []
    failed: list[str] = []
    try:
        for name, (fig, fn) in CASES.items():
            if (args.only and name not in args.only) or (not args.only and name in ON_REQUEST):
                continue
            log(f"case {name} (figure {fig})")
            t = time.perf_counter()
            try:
                rows += fn(ctx)
            except Exception as exc:
                traceback.print_exc()
                failed.append(name)
                rows.append(
                    Row(
                        fig,
                        f"case `{name}`",
                        "error",
                        verdict="ERROR",
                        note=f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]}",
                    )
                )
            log(f"case {name}: {time.perf_counter() - t:.0f} s")
    finally:
        ctx.close()
    rows.sort(key=lambda r: r.fig)
    meta = {
        "when": report.now(),
        "machine": report.machine(),
        "mode": ("quick" if args.quick else "full")
        + (f", only {' '.join(args.only)}" if args.only else ""),
        "wall_s": time.perf_counter() - t0,
        "versions": ctx.versions,
        "gitops_ml_python": str(ctx.gm.python),
        "sizes": ctx.sizes.__dict__,
        "failed_cases": failed,
    }
    print(report.write(rows, meta, args.out))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
