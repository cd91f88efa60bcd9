"""gitops-ml importable inside a rebuilt environment through a refreshed shim."""

from __future__ import annotations

import sys
from pathlib import Path

import gitops_ml
from gitops_ml.reproduce import shim


def test_the_shim_links_the_running_gitops_ml_and_is_refreshed(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    version = "{}.{}.{}".format(*sys.version_info[:3])
    shim.refresh_shim(env, version)
    link = env / shim.SHIM / "gitops_ml"
    assert link.resolve() == Path(gitops_ml.__file__).resolve().parent
    assert (site / shim.PTH).read_text() == f"{env / shim.SHIM}\n"
    (site / shim.PTH).write_text("/tampered\n")
    link.unlink()
    link.symlink_to(tmp_path)
    shim.refresh_shim(env, version)
    assert (site / shim.PTH).read_text() == f"{env / shim.SHIM}\n"
    assert link.resolve() == Path(gitops_ml.__file__).resolve().parent
    # another minor version: no link to this interpreter's compiled blake3
    other = tmp_path / "other"
    (other / "lib" / "python2.7" / "site-packages").mkdir(parents=True)
    shim.refresh_shim(other, "2.7.18")
    assert not [p for p in (other / shim.SHIM).iterdir() if p.name.startswith("blake3")]
