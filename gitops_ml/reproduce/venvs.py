"""The layout of a virtual environment: its interpreter, its site-packages, what is
installed in it, and moving one that was built elsewhere."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import environment


def venv_python(env_dir: Path) -> Path:
    """The environment's interpreter."""
    win = env_dir / "Scripts" / "python.exe"
    return win if win.exists() else env_dir / "bin" / "python"


def site_packages(env_dir: Path) -> list[Path]:
    """The environment's site-packages folders."""
    found = sorted(env_dir.glob("lib/python*/site-packages")) + sorted(
        env_dir.glob("Lib/site-packages")
    )
    return [p for p in found if p.is_dir()]


def installed(env_dir: Path) -> dict[str, str]:
    """``{name: version}`` of the distributions installed in the environment."""
    return environment.installed_in([str(p) for p in site_packages(env_dir)])


def rewrite_paths(env_dir: Path, old: str, new: str) -> None:
    """Point scripts and activate files of a renamed environment at its new place."""
    old_b, new_b = old.encode(), new.encode()
    for folder in (env_dir / "bin", env_dir / "Scripts", env_dir):
        if not folder.is_dir():
            continue
        for item in folder.iterdir():
            if item.is_symlink() or not item.is_file() or item.stat().st_size > 1 << 20:
                continue
            data = item.read_bytes()
            if old_b in data:
                item.write_bytes(data.replace(old_b, new_b))
