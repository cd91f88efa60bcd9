"""``gitops-ml ci matrix``: the ``strategy.matrix`` JSON of the ``ci.grid`` in gitops-ml.yaml.

Prints one line of JSON (``{"include": [{"index", "name", "params"}, ...]}``); with
``--github-output NAME`` it is also appended to ``$GITHUB_OUTPUT`` as NAME.
Exit codes: 0 printed; 2 no grid, or more points than ``ci.max_jobs``.
"""

from __future__ import annotations

import argparse
import json
import sys

from gitops_ml.ci.matrix import matrix
from gitops_ml.ci.settings import load as load_settings
from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import OK


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--json", action="store_true", help="(the output is always JSON)")
    p.add_argument(
        "--github-output", metavar="NAME", help="also write NAME=<json> to $GITHUB_OUTPUT"
    )


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    text = json.dumps(matrix(load_settings(config.load(repo.top))), separators=(",", ":"))
    sys.stdout.write(text + "\n")
    if args.github_output:
        from gitops_ml.github.context import write_output

        write_output(args.github_output, text)
    return OK
