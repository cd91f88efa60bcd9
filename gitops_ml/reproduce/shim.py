"""gitops-ml inside a rebuilt environment: the re-run command must be able to
``import gitops_ml`` (its ``start_run`` joins the reproducing run).

The environment gets a ``gitops-ml-shim`` directory, added to the end of ``sys.path`` by
a ``.pth`` file, holding a link to the running gitops-ml package (and to ``blake3``, its
one compiled dependency the in-run API uses, when the Python minor versions match). It is
refreshed on every use, so it follows the installed gitops-ml; packages of the
environment itself still come first. Neither the parent directory of gitops-ml (a source
checkout's tests and scripts, or the whole host site-packages) nor its other
dependencies leak in.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_ml.core.atomic import atomic_path, write_atomic
from gitops_ml.reproduce import tools, venvs

SHIM = "gitops-ml-shim"
PTH = "_gitops_ml_shim.pth"


def _link(target: Path, link: Path) -> None:
    with atomic_path(link) as tmp:
        tmp.symlink_to(target, target_is_directory=target.is_dir())


def refresh_shim(env_dir: Path, python_version: str) -> None:
    """Make the running gitops-ml importable in the environment (see the module docs)."""
    import importlib.util

    import gitops_ml

    shim = env_dir / SHIM
    shim.mkdir(exist_ok=True)
    _link(Path(gitops_ml.__file__).resolve().parent, shim / "gitops_ml")
    host = "{}.{}".format(*sys.version_info[:2])
    spec = importlib.util.find_spec("blake3")
    if tools.minor(python_version) == host and spec is not None and spec.origin:
        origin = Path(spec.origin).resolve()
        if origin.name.startswith("__init__."):  # a package: link its folder
            _link(origin.parent, shim / "blake3")
        else:  # a single extension module
            _link(origin, shim / origin.name)
    for site in venvs.site_packages(env_dir):
        pth = site / PTH
        text = f"{shim}\n"
        if not pth.is_file() or pth.read_text() != text:
            write_atomic(pth, text)
