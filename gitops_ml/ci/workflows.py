"""``gitops-ml init --github``: the caller workflows, written into ``.github/workflows/``.

Their ``uses:`` lines name this project's reusable workflows as
``gitops-ml/gitops-ml/...@v1``; ``--github-repo`` and ``--github-ref`` point them at a fork
or a pinned commit. An existing file is never overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitops_ml.core.errors import UsageError
from gitops_ml.core.templates import template_dir

DEFAULT_REPO = "gitops-ml/gitops-ml"
DEFAULT_REF = "v1"
FILES = (
    "gitops-ml.yml",
    "gitops-ml-grid.yml",
    "gitops-ml-comment.yml",
    "gitops-ml-deploy.yml",
)


def write_callers(top: Path, repo: str | None = None, ref: str | None = None) -> list[str]:
    """Write the caller workflows that are missing; returns what was done."""
    repo, ref = repo or DEFAULT_REPO, ref or DEFAULT_REF
    if not re.match(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", repo):
        raise UsageError(f"--github-repo {repo!r}: expected OWNER/NAME")
    if not re.match(r"^[A-Za-z0-9_./-]+$", ref) or ref.startswith(("-", "/")):
        raise UsageError(f"--github-ref {ref!r}: expected a tag, branch or commit")
    dest = top / ".github" / "workflows"
    done = []
    for name in FILES:
        target = dest / name
        if target.exists():
            continue
        text = (template_dir() / "github" / name).read_text(encoding="utf-8")
        text = text.replace(f"{DEFAULT_REPO}/", f"{repo}/").replace(
            f"@{DEFAULT_REF}\n", f"@{ref}\n"
        )
        dest.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        done.append(f"wrote .github/workflows/{name}")
    return done
