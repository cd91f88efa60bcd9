"""Where the shipped templates are: ``gitops_ml/templates`` inside an installed wheel (the
build maps the top-level ``templates/`` there), or ``templates/`` beside the package in a
source checkout (an editable install)."""

from __future__ import annotations

from pathlib import Path


def template_dir() -> Path:
    """The directory holding ``gitops-ml.yaml``, ``example/`` and the other templates."""
    here = Path(__file__).resolve().parent.parent  # the gitops_ml package
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "gitops-ml.yaml").is_file():
            return candidate
    from gitops_ml.core.errors import EnvironmentProblem

    raise EnvironmentProblem(
        f"gitops-ml's templates are missing beside {here}: reinstall gitops-ml"
    )
