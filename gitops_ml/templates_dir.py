"""Where the shipped templates are (inside the wheel, or ``templates/`` in a checkout)."""

from __future__ import annotations

from pathlib import Path


def template_dir() -> Path:
    """The directory holding ``gitops-ml.yaml``, ``example/`` and the other templates."""
    from importlib.resources import files

    try:
        path = Path(str(files("gitops_ml.templates")))
        if (path / "gitops-ml.yaml").exists():
            return path
    except (ModuleNotFoundError, TypeError, NotADirectoryError, ValueError):
        pass
    return Path(__file__).resolve().parent.parent / "templates"
