"""``gitops-ml demo [DIR]``: the bundled example project, a small grid of runs, the answers.

Creates a git repository in DIR from ``templates/example``, records a run per point of a
small params grid, then prints the runs table, the diff of the best and worst run and the
lineage of the model file. Every step is a typed call (``init.initialize``,
``runs_ls.select``/``print_runs``, ``runs.compare.compare``/``runs_diff.render_terminal``,
``lineage.show``), never a command's ``main`` with a hand-made argparse Namespace: mypy
sees a renamed parameter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from itertools import product
from pathlib import Path

from gitops_ml.core import git
from gitops_ml.core.errors import OK, UsageError
from gitops_ml.core.templates import template_dir

GRID: dict[str, list[float]] = {"lr": [0.01, 0.3], "epochs": [2, 20]}


def _make_repo(where: Path) -> None:
    if where.exists() and any(where.iterdir()):
        raise UsageError(f"{where}: exists and is not empty; pick another directory")
    shutil.copytree(
        template_dir() / "example",
        where,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    (where / "dot-gitignore").rename(where / ".gitignore")
    git.run(["init", "-q"], where)
    if git.run(["var", "GIT_AUTHOR_IDENT"], where, check=False).returncode != 0:
        git.run(["config", "user.name", "gitops-ml demo"], where)
        git.run(["config", "user.email", "demo@gitops-ml.invalid"], where)
    git.run(["add", "-A"], where)
    git.run(["commit", "-q", "-m", "Example project"], where)


def _section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument(
        "dir",
        nargs="?",
        default=None,
        help="where to create it (default: a new temporary directory)",
    )


def main(args: argparse.Namespace) -> int:
    from gitops_ml.commands import init, lineage, runs_diff, runs_ls
    from gitops_ml.core import gitstore
    from gitops_ml.runs import index
    from gitops_ml.runs.compare import compare
    from gitops_ml.runs.recorder import RunSpec, run_command

    if args.dir is None:
        import tempfile

        where = Path(tempfile.mkdtemp(prefix="gitops-ml-demo-"))
    else:
        where = Path(args.dir).resolve()
    _make_repo(where)
    os.chdir(where)
    repo = gitstore.open_repo()
    init.report(init.initialize(repo))
    # `python` in the recorded command resolves to this interpreter while the demo runs.
    path_env = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    _section(f"recording {len(GRID['lr']) * len(GRID['epochs'])} runs in {where}")
    for lr, epochs in product(GRID["lr"], GRID["epochs"]):
        spec = RunSpec(
            command=["python", "train.py"],
            name=f"lr{lr}-e{epochs}",
            overrides={"lr": lr, "epochs": epochs},
            extra_env=path_env,
        )
        sys.stdout.flush()
        code, rec = run_command(spec)
        if code != 0:
            raise UsageError(f"example run {rec['id']} failed with exit {code}")
    _section("gitops-ml runs ls --sort -metrics.accuracy")
    sys.stdout.flush()
    runs = runs_ls.select(index.load(repo).runs(), None, "-metrics.accuracy", None)
    runs_ls.print_runs(runs)
    best, worst = runs[0], runs[-1]
    _section(f"gitops-ml runs diff {worst['id'][:12]} {best['id'][:12]}  (worst vs best)")
    a, b = index.full_record(repo, worst["id"]), index.full_record(repo, best["id"])
    runs_diff.render_terminal(compare(repo, a, b))
    _section("gitops-ml lineage models/model.json  (the model in the work tree: the last run's)")
    lineage.show(repo, "models/model.json")
    print(f"\nThe demo repository is {where}: try 'cd {where} && gitops-ml log'")
    return OK
