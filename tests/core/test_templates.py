"""The templates ship inside the wheel and are found from an installed package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from gitops_ml.core.templates import template_dir

ROOT = Path(__file__).resolve().parents[2]


def test_found_in_a_checkout() -> None:
    assert (template_dir() / "example" / "train.py").is_file()
    assert (template_dir() / "gitops-ml.yaml").is_file()


def test_the_wheel_carries_every_template_and_finds_them_installed(tmp_path: Path) -> None:
    # uv builds it (the test environment has uv, not necessarily pip).
    from uv import find_uv_bin

    subprocess.run(
        [find_uv_bin(), "build", "-q", "--wheel", "-o", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("gitops_ml-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped, "no templates in the checkout"
    assert {f"gitops_ml/{name}" for name in shipped} <= names
    # Installed: the package finds templates beside itself, not in site-packages/templates.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from gitops_ml.core.templates import template_dir; print(template_dir())",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert Path(out.stdout.strip()) == site / "gitops_ml" / "templates"
